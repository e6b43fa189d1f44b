package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestChainRowBands: with more threads than images the channels-last chain
// runs each image in row bands (chain_band.go), and its outputs are bit
// for bit those of one thread running whole images, for every layer kind
// (the PixelCNNs, the conditional Gated PixelCNN, kindsGraph's gate and
// constants), bands of one row up to half the image, batches of one and two
// images. A conv that reads a row below (an unmasked 3x3) is not
// row-causal: no bands, the same outputs.
func TestChainRowBands(t *testing.T) {
	t.Parallel()
	if !kernels.HasDirect() {
		t.Skip("no direct kernel at this level: the chain is NCHW, without row bands")
	}
	r := rand.New(rand.NewPCG(5, 6))
	type model struct {
		g      *graph.Graph
		labels bool
		bands  bool // row-causal
	}
	models := map[string]model{"kinds": {g: kindsGraph(t), bands: true}}
	for name, cfg := range chainConfigs() {
		g, err := graph.PixelCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		models[name] = model{g: g, bands: true}
	}
	gcfg := testenv.GatedConfig(10)
	gcfg.Height, gcfg.Width = 9, 7
	gg, err := graph.GatedPixelCNN(gcfg)
	if err != nil {
		t.Fatal(err)
	}
	models["gated"] = model{g: gg, labels: true, bands: true}
	b := graph.NewBuilder("below", 3)
	x := b.Input("pixels", 1, 8, 5)
	h := b.Conv(x, graph.ConvSpec{Name: "a", Out: 4, Kernel: 3, Pad: 1, Mask: graph.MaskA})
	h = b.Conv(b.Relu(h), graph.ConvSpec{Name: "b", Out: 4, Kernel: 3, Pad: 1}) // reads the row below
	b.Output(graph.OutputName, h)
	below, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	models["below"] = model{g: below}

	for name, m := range models {
		in0 := m.g.Inputs[0]
		c, hh, ww := in0.Shape[1], in0.Shape[2], in0.Shape[3]
		one, err := CompileWith(m.g, Options{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		if one.chain == nil || !one.chain.direct {
			t.Fatalf("%s: no channels-last chain", name)
		}
		if s := one.chain.spec([3]int{c, hh, ww}); (s.bands != nil) != m.bands {
			t.Fatalf("%s: row bands planned %v, want %v", name, s.bands != nil, m.bands)
		}
		for _, n := range []int{1, 2} {
			in := map[string]*graph.Tensor{in0.Name: randF32(r, n, c, hh, ww)}
			if m.labels {
				lab := make([]int64, n)
				for i := range lab {
					lab[i] = int64(r.IntN(10))
				}
				in["label"] = i64([]int{n}, lab...)
			}
			want := runIn(t, one, in)
			for _, threads := range []int{2 * n, 3 * n, hh * n} { // bands of half the image down to one row
				t.Run(fmt.Sprintf("%s/batch=%d/threads=%d", name, n, threads), func(t *testing.T) {
					p, err := CompileWith(m.g, Options{Threads: threads})
					if err != nil {
						t.Fatal(err)
					}
					for run := 0; run < 2; run++ { // the second on pooled, dirty buffers
						got := runIn(t, p, in)
						for k, w := range want {
							if err := testenv.CloseTensor(got[k], w, 0, 0); err != nil {
								t.Fatalf("run %d, output %s: %v", run, k, err)
							}
						}
					}
				})
			}
		}
	}
}

// TestChainRowBandsCancel: a cancelled context stops every band (none
// waits forever for another) and Run returns the context's error.
func TestChainRowBandsCancel(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(testenv.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := CompileWith(g, Options{Threads: 4})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cfg := testenv.TinyConfig()
	x := graph.NewFloat32([]int{1, 1, cfg.Height, cfg.Width}, nil)
	if _, err := p.Run(ctx, map[string]*graph.Tensor{graph.InputName: x}); err != context.Canceled {
		t.Fatalf("Run: %v, want context.Canceled", err)
	}
}
