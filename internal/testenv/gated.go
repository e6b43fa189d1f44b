package testenv

import (
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// GatedGraph is a small graph built of gated layers, for the tests that
// carry the layer plan's Gate class through every engine (runtime chain,
// ONNX Runtime, training, cached sampler, audit): on (N,1,h,w) images, a
// mask-A 3x3 conv pair (f, s) into the gate tanh(f)·σ(s), then blocks of
// mask-B 3x3 pairs into gates with a residual Add, a 1x1 head to q levels.
// Its input is "pixels" and its output "logits", like graph.PixelCNN's;
// the mask kinds are on the weights, so it exports with pixelgraph.masks.
// Not the Gated PixelCNN of issue 16 (no vertical/horizontal stacks).
func GatedGraph(t testing.TB, h, w, width, blocks, q int) *graph.Graph {
	t.Helper()
	b := graph.NewBuilder("gated", 11)
	x := b.Input(graph.InputName, 1, h, w)
	gate := func(s *graph.Builder, x *graph.Value, mask graph.MaskKind) *graph.Value {
		f := s.Conv(x, graph.ConvSpec{Name: "f", Out: width, Kernel: 3, Pad: 1, Mask: mask})
		g := s.Conv(x, graph.ConvSpec{Name: "s", Out: width, Kernel: 3, Pad: 1, Mask: mask})
		return s.Gate(f, g)
	}
	y := gate(b.Scope("in"), x, graph.MaskA)
	for i := range blocks {
		y = b.Add(y, gate(b.Scope(fmt.Sprintf("g%02d", i)), y, graph.MaskB))
	}
	y = b.Conv(b.Relu(y), graph.ConvSpec{Name: "logits", Out: q, Kernel: 1})
	b.Output(graph.OutputName, y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}
