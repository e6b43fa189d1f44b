package nll

import (
	"context"
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
)

func TestSumByHand(t *testing.T) {
	t.Parallel()
	// One image, 2 pixels, q = 2. Pixel 0: logits (0, ln 3), target 1 →
	// -log(3/4). Pixel 1: logits (5, 5), target 0 → log 2.
	logits := []float32{0, 5, float32(math.Log(3)), 5}
	got := Sum(logits, []uint8{1, 0}, 1, 2, 2)
	want := -math.Log(0.75) + math.Log(2)
	if !(math.Abs(got-want) <= 1e-6) {
		t.Fatalf("Sum = %v, want %v", got, want)
	}
	probs := []float32{0.25, 0.5, 0.75, 0.5}
	if got := SumKind(graph.Probs, probs, []uint8{1, 0}, 1, 2, 2); !(math.Abs(got-want) <= 1e-6) {
		t.Fatalf("SumKind(Probs) = %v, want %v", got, want)
	}
}

// A uniform model (all logits equal) costs exactly log2(q) bits per dim.
func TestEvaluateUniform(t *testing.T) {
	t.Parallel()
	im, err := dataset.Load("../../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Head = 8, 4, 1, 8
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	w, b := g.Init("head/logits/W"), g.Init("head/logits/B")
	clear(w.Const.F32)
	clear(b.Const.F32)
	r, err := Evaluate(context.Background(), g, im, Options{Limit: 20, Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	if r.Images != 20 || !(math.Abs(r.BitsPerDim-2) <= 1e-9) {
		t.Fatalf("uniform model: %+v, want 2 bits/dim over 20 images", r)
	}
}

// The torch.onnx fixtures share their weights; the logits, Softmax and
// opset-11 Transpose/Softmax/Transpose variants must give one NLL, and the
// fixed-batch file (batch 2) must too, with a padded last batch.
func TestEvaluateTorchVariants(t *testing.T) {
	t.Parallel()
	im, err := dataset.Load("../../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	crop, err := im.Crop(10, 10, 8, 8)
	if err != nil {
		t.Fatal(err)
	}
	var ref float64
	for i, name := range []string{"opset13_dynamic", "opset13_static", "opset11_softmax", "opset13_softmax", "opset17_softmax", "opset13_external"} {
		g, err := export.DecodeFile("../../testdata/torch/"+name+"/model.onnx", nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := Evaluate(context.Background(), g, crop, Options{Limit: 33, Batch: 5})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if r.Images != 33 {
			t.Fatalf("%s: %d images", name, r.Images)
		}
		if i == 0 {
			ref = r.BitsPerDim
			if ref <= 0 || ref > 3 {
				t.Fatalf("%s: %v bits/dim is not plausible for q=4", name, ref)
			}
		} else if !(math.Abs(r.BitsPerDim-ref) <= 1e-5) {
			t.Errorf("%s: %v bits/dim, %s gave %v", name, r.BitsPerDim, "opset13_dynamic", ref)
		}
	}
}
