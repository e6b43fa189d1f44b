package sample

import (
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// mulMasked builds the PixelCNN of c with every mask applied at run time:
// each masked Conv reads Mul(W, M), where W is the unmasked weight (its
// hidden taps hold non-zero values) and M the 0/1 mask as a (1,1,k,k)
// initializer, as an exporter that does not fold constants writes it.
func mulMasked(t testing.TB, c graph.Config) *graph.Graph {
	t.Helper()
	g := mustPixelCNN(t, c)
	var muls []*graph.Node
	for _, n := range g.Nodes {
		if n.Op != "Conv" || n.Inputs[1].Mask == graph.MaskNone {
			continue
		}
		w := n.Inputs[1]
		kh, kw := w.Shape[2], w.Shape[3]
		m := graph.Mask(w.Mask, kh, kw)
		for i := range w.Const.F32 {
			if m[i%len(m)] == 0 {
				w.Const.F32[i] = 0.5 + float32(i%7)/10 // hidden, non-zero
			}
		}
		w.Mask = graph.MaskNone
		mv := &graph.Value{Name: w.Name + "_mask", DType: graph.Float32, Shape: []int{1, 1, kh, kw},
			Const: graph.NewFloat32([]int{1, 1, kh, kw}, m)}
		g.Inits = append(g.Inits, mv)
		prod := &graph.Value{Name: w.Name + "_masked", DType: graph.Float32, Shape: w.Shape}
		mul := &graph.Node{Name: w.Name + "_mul", Op: "Mul", Inputs: []*graph.Value{w, mv}, Outputs: []*graph.Value{prod}}
		prod.Producer = mul
		muls = append(muls, mul)
		n.Inputs[1] = prod
	}
	g.Nodes = append(muls, g.Nodes...)
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

// leaky returns the PixelCNN of c with one hidden tap of the named conv
// made live: (row, col) of every (out, in) kernel gets a non-zero weight.
func leaky(t testing.TB, c graph.Config, conv string, row, col int) *graph.Graph {
	t.Helper()
	g := mustPixelCNN(t, c)
	w := g.Init(conv + "/W")
	if w == nil {
		t.Fatalf("no weight %s/W", conv)
	}
	w.Mask = graph.MaskNone
	kh, kw := w.Shape[2], w.Shape[3]
	for i := 0; i < len(w.Const.F32); i += kh * kw {
		w.Const.F32[i+row*kw+col] = 0.3
	}
	return g
}
