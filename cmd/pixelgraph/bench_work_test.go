package main

import (
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// TestCountConvWork checks the count against hand-computed figures. The seed
// model (graph.DefaultConfig, 28x28, per image):
//
//	in      7x7 mask A (24 live taps of 49), 1 → 128:  128·1·784 · 24 | 49
//	15 × a  1x1 128 → 64:                              64·128·784
//	     b  3x3 mask B (5 live taps of 9), 64 → 64:    64·64·784 · 5 | 9
//	     c  1x1 64 → 128:                              128·64·784
//	head    out1, out2 1x1 128 → 128, logits 128 → 4:  (2·128·128 + 4·128)·784
//
// live 462,020,608 and dense 657,205,248 multiply-adds: 0.924 and 1.314
// GFLOP, the figures issue 14 quotes.
func TestCountConvWork(t *testing.T) {
	t.Parallel()
	m, _ := findBenchModel("tiny")
	_, tc, err := m.build(4)
	if err != nil {
		t.Fatal(err)
	}
	tiny := tc.(graph.Config)
	for _, c := range []struct {
		name        string
		cfg         graph.Config
		live, dense int64
	}{
		{"seed", graph.DefaultConfig(),
			128*784*24 + 15*(64*128*784+64*64*784*5+128*64*784) + (2*128*128+4*128)*784,
			128*784*49 + 15*(64*128*784+64*64*784*9+128*64*784) + (2*128*128+4*128)*784},
		// --config tiny: filters 8, hidden 4, one block, head 8, 8x8:
		{"tiny", tiny,
			8*64*24 + 4*8*64 + 4*4*64*5 + 8*4*64 + (8*8+8*8+4*8)*64,
			8*64*49 + 4*8*64 + 4*4*64*9 + 8*4*64 + (8*8+8*8+4*8)*64},
	} {
		g, err := graph.PixelCNN(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		w, err := countConvWork(g)
		if err != nil {
			t.Fatal(err)
		}
		if w.Live != c.live || w.Dense != c.dense {
			t.Errorf("%s: countConvWork = %+v, want live %d, dense %d", c.name, w, c.live, c.dense)
		}
	}
	if live, dense := (convWork{Live: 462020608, Dense: 657205248}).GFLOP(); live < 0.924 || live >= 0.925 || dense < 1.314 || dense >= 1.315 {
		t.Errorf("GFLOP() = %v, %v; want 0.924…, 1.314…", live, dense)
	}
}

func TestCountConvWorkErrors(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(graph.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	g.Nodes[0].Outputs[0].Shape = []int{-1, 128, -1, -1} // spatial size unknown
	if _, err := countConvWork(g); err == nil || err.Error() != "node in (Conv): output [-1 128 -1 -1] has no known spatial size" {
		t.Errorf("error %v, want one naming node in and its output shape", err)
	}
}
