package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestChainGated: the conditional Gated PixelCNN runs in the chain (slices,
// gate halves, embeds), bit for bit the generic path with the NCHW kernels,
// fused and unfused, at several batch sizes and thread counts; the label
// picks the class rows.
func TestChainGated(t *testing.T) {
	t.Parallel()
	cfg := testenv.GatedConfig(10)
	cfg.Height, cfg.Width = 9, 7 // not square
	g, err := graph.GatedPixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	generic, err := CompileWith(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	generic.chain = nil
	r := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{1, 3, 6} {
		x := randF32(r, n, 1, cfg.Height, cfg.Width)
		lab := make([]int64, n)
		for i := range lab {
			lab[i] = int64(r.IntN(10))
		}
		lab[0] = -1 // Gather's negative index: class 9
		in := map[string]*graph.Tensor{"pixels": x, "label": i64([]int{n}, lab...)}
		want := runIn(t, generic, in)
		for _, direct := range []bool{false, true} {
			for _, c := range []struct {
				threads  int
				noFusion bool
			}{{1, false}, {2, false}, {2, true}} {
				p, err := CompileWith(g, Options{Threads: c.threads, NoDirect: !direct, NoFusion: c.noFusion})
				if err != nil {
					t.Fatal(err)
				}
				if p.chain == nil {
					t.Fatalf("no chain: %s", p.plan.Blocker)
				}
				kinds := map[layers.Kind]int{}
				for _, l := range p.plan.Layers {
					kinds[l.Kind]++
				}
				if kinds[layers.Embed] != 2*cfg.Layers-1 {
					t.Errorf("%d embed layers, want %d", kinds[layers.Embed], 2*cfg.Layers-1)
				}
				tol := 0.0
				if direct && kernels.HasDirect() {
					tol = 1e-5 // the direct kernel's summation order
				}
				what := fmt.Sprintf("n %d direct %v threads %d nofusion %v", n, direct, c.threads, c.noFusion)
				testenv.AllCloseTensor(t, runIn(t, p, in)["logits"], want["logits"], tol, tol, what)
			}
		}
	}
}

func runIn(t *testing.T, p *Program, in map[string]*graph.Tensor) map[string]*graph.Tensor {
	t.Helper()
	out, err := p.Run(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestChainLabelOutOfRange: a label outside [-K, K-1] is the Gather's error,
// named, on the chain and the generic path alike.
func TestChainLabelOutOfRange(t *testing.T) {
	t.Parallel()
	cfg := testenv.GatedConfig(10)
	g, err := graph.GatedPixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	x := graph.NewFloat32([]int{2, 1, cfg.Height, cfg.Width}, nil)
	for _, chain := range []bool{true, false} {
		p, err := Compile(g)
		if err != nil {
			t.Fatal(err)
		}
		if !chain {
			p.chain = nil
		}
		_, err = p.Run(context.Background(), map[string]*graph.Tensor{"pixels": x, "label": i64([]int{2}, 3, 10)})
		var ne *NodeError
		if !errors.As(err, &ne) || ne.Op != "Gather" || !strings.Contains(err.Error(), "index 10 is out of range [-10, 9]") {
			t.Errorf("chain %v: %v", chain, err)
		}
	}
}
