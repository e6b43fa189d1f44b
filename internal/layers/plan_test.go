package layers

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

var update = flag.Bool("update", false, "rewrite golden files in ../../testdata")

func smallPixelCNN(t *testing.T) *graph.Graph {
	t.Helper()
	cfg := graph.DefaultConfig()
	cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head = 8, 4, 2, 8
	cfg.Height, cfg.Width = 8, 8
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func build(t *testing.T, g *graph.Graph, f Fusion) *Plan {
	t.Helper()
	p, err := Build(g, Options{Fuse: f})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPlanGolden: the plan of the small PixelCNN with every rule, as
// `pixelgraph inspect` prints it (go test ./internal/layers -update
// rewrites testdata/pixelcnn_small.plan).
func TestPlanGolden(t *testing.T) {
	planGolden(t, build(t, smallPixelCNN(t), FuseAll), "pixelcnn_small.plan")
}

// planGolden compares p's text with ../../testdata/name, or rewrites it
// with -update.
func planGolden(t *testing.T, p *Plan, name string) {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Write(&buf); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", "testdata", name)
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/layers -update)", err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("plan differs from %s:\n%s", path, buf.String())
	}
}

// TestPixelCNNFusions counts the layers of the PixelCNN (b blocks: 3b+4
// convs, b residual Adds, 2b+2 Relus) under each selection of rules, as
// the engines select them.
func TestPixelCNNFusions(t *testing.T) {
	t.Parallel()
	g := smallPixelCNN(t)
	b := g.Config.Blocks
	for _, c := range []struct {
		name   string
		f      Fusion
		layers int
	}{
		{"none", 0, len(g.Nodes)},
		{"runtime direct (all)", FuseAll, 3*b + 4},
		{"runtime NCHW", FuseAll &^ FuseResidual, 3*b + 4 + b},
		{"training", FuseGate | FuseReluIn | FuseResidual, 3*b + 4},
		{"relu-in only", FuseReluIn, 3*b + 4 + b},
	} {
		p := build(t, g, c.f)
		if !p.Fast {
			t.Fatalf("%s: not fast: %s", c.name, p.Blocker)
		}
		if len(p.Layers) != c.layers {
			t.Errorf("%s: %d layers, want %d", c.name, len(p.Layers), c.layers)
		}
		for _, r := range p.Routes {
			if r.Path != PathLayer && r.Path != PathFused {
				t.Errorf("%s: node %s routes %v (%s)", c.name, r.Node.Name, r.Path, r.Reason)
			}
		}
		// every value but the output dies after it is written; the output lives
		for _, v := range p.Values {
			if v.ID != p.Input && v.Producer < 0 {
				t.Errorf("%s: value %s has no producer", c.name, v.V.Name)
			}
			if l := v.Producer; !v.Output && v.Last() <= l && !(l >= 0 && p.Layers[l].AlsoRelu >= 0) {
				t.Errorf("%s: value %s (layer %d) is read by nothing after it", c.name, v.V.Name, v.Producer)
			}
		}
	}
}

// TestTaps: the mask's taps for a masked weight whatever its values, the
// zero pattern otherwise, every tap for an all-zero weight.
func TestTaps(t *testing.T) {
	t.Parallel()
	w := graph.NewFloat32([]int{2, 1, 3, 3}, nil)
	w.F32[4], w.F32[9+7] = 1, -2 // taps 4 (o=0) and 7 (o=1)
	for _, c := range []struct {
		name string
		w    *graph.Tensor
		mask graph.MaskKind
		want string
	}{
		{"zero pattern", w, graph.MaskNone, "[4 7]"},
		{"mask B keeps its taps", w, graph.MaskB, "[0 1 2 3 4]"},
		{"mask A", graph.NewFloat32([]int{1, 1, 3, 3}, nil), graph.MaskA, "[0 1 2 3]"},
		{"all zero: every tap", graph.NewFloat32([]int{1, 1, 1, 3}, nil), graph.MaskNone, "[0 1 2]"},
	} {
		if got := fmt.Sprint(Taps(c.w, c.mask)); got != c.want {
			t.Errorf("%s: Taps = %s, want %s", c.name, got, c.want)
		}
	}
}

// TestPixelCNNReceptive: the seed model's logits see 18 rows up (3 for the
// 7x7 mask A conv, 1 per 3x3 block), nothing below, and nothing at or after
// the pixel; every value's reach is (0,-1), computable before its pixel.
func TestPixelCNNReceptive(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(graph.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	p := build(t, g, FuseAll)
	out, _ := p.ValueOf(g.Outputs[0])
	rf, err := p.Receptive(out, p.Input)
	if err != nil {
		t.Fatal(err)
	}
	if !rf.Causal || rf.Up != 18 || rf.Down != 0 || rf.Left != 18 || rf.Right != 18 {
		t.Errorf("receptive field %v: want causal, 18 rows up, 18 columns each side", rf)
	}
	for _, v := range p.Values[1:] {
		if v.Reach != (Reach{Known: true, Dep: true, Last: graph.Offset{Dy: 0, Dx: -1}}) {
			t.Errorf("%s: %v, want reach +0,-1", v.V.Name, v.Reach)
		}
	}
}
