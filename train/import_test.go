package train

import (
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
)

// TestImportZeroPattern: a weight whose zero pattern is no mask kind (here
// the vertical stack's "rows above the centre" of a Gated PixelCNN) trains
// on its live taps only: the dead ones stay exactly 0 through Adam steps,
// the live ones move.
func TestImportZeroPattern(t *testing.T) {
	t.Parallel()
	g := tinyGraph(t)
	w := g.Init("b/W") // (4,4,3,3), mask B
	w.Mask = graph.MaskNone
	for i := range w.Const.F32 {
		w.Const.F32[i] = float32(i%7+1) * 0.01
		if i%9 >= 3 { // keep row 0 only
			w.Const.F32[i] = 0
		}
	}
	f, imp, err := Import(g)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range imp.Masks {
		if v.Name == "b/W" {
			t.Fatalf("b/W got mask %v; its pattern is neither A nor B", v.Mask)
		}
	}
	before := append([]float32(nil), f.Init("b/W").Const.F32...)
	tr, err := New(f, Options{Batch: 2, LR: 0.05})
	if err != nil {
		t.Fatal(err)
	}
	for s := 0; s < 3; s++ {
		if _, err := tr.stepLevels(randomLevels(uint64(s), 2*25, tr.q)); err != nil {
			t.Fatal(err)
		}
	}
	after := tr.Weights()["b/W"]
	moved := 0
	for i, x := range after {
		switch {
		case i%9 >= 3 && x != 0:
			t.Fatalf("b/W[%d] is a dead tap and became %g", i, x)
		case x != before[i]:
			moved++
		}
	}
	if moved == 0 {
		t.Error("no live tap of b/W moved")
	}
}

// TestImportTorchUnfolded: a torch.onnx file exported without constant
// folding applies its masks at run time (Mul(weight, mask)); Import folds
// them into the weights and recovers their kinds.
func TestImportTorchUnfolded(t *testing.T) {
	t.Parallel()
	g, err := export.DecodeFile("../testdata/torch/opset13_unfolded/model.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	f, imp, err := Import(g)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]graph.MaskKind{}
	for _, v := range imp.Masks {
		kinds[v.Name] = v.Mask
	}
	if len(kinds) != 3 || kinds["/inp/Mul_output_0"] != graph.MaskA || kinds["/res/res.0/b/Mul_output_0"] != graph.MaskB {
		t.Errorf("recovered %v", kinds)
	}
	if _, err := New(f, Options{Batch: 2}); err != nil {
		t.Fatal(err)
	}
}
