package nll

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// TestEvaluateConditional: a class-conditional Gated PixelCNN is evaluated
// on each image's own label (the same sum as feeding the labels by hand,
// batch by batch), or with a label held fixed; without one it is an error
// naming the input.
func TestEvaluateConditional(t *testing.T) {
	t.Parallel()
	im, err := dataset.Load("../../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	c := graph.DefaultGatedConfig()
	c.Filters, c.Layers, c.Head, c.Classes = 4, 2, 8, 10
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	const n = 10
	r, err := Evaluate(context.Background(), g, im, Options{Limit: n, Batch: 4, Labels: graph.LabelName})
	if err != nil {
		t.Fatal(err)
	}
	// by hand, one image at a time
	total := 0.0
	levels := make([]uint8, 28*28)
	for i := range n {
		dataset.Quantize(levels, im.Image(i), 4)
		x := graph.NewFloat32([]int{1, 1, 28, 28}, nil)
		dataset.Scale(x.F32, levels, 4)
		out, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{"pixels": x, "label": graph.NewInt64([]int{1}, []int64{int64(im.Labels[i])})})
		if err != nil {
			t.Fatal(err)
		}
		total += Sum(out["logits"].F32, levels, 1, 4, 28*28)
	}
	if want := total / n; !(math.Abs(r.NatsPerImage-want) <= 1e-9*want) {
		t.Errorf("nats/image %v, by hand %v", r.NatsPerImage, want)
	}
	f, err := Evaluate(context.Background(), g, im, Options{Limit: n, Batch: 4, Fixed: map[string]int64{"label": 3}})
	if err != nil {
		t.Fatal(err)
	}
	if f.NatsPerImage == r.NatsPerImage {
		t.Error("a fixed label gives the test labels' NLL")
	}
	for _, o := range []Options{{}, {Labels: "class"}, {Fixed: map[string]int64{"label": 1, "x": 2}}} {
		if _, err := Evaluate(context.Background(), g, im, o); err == nil || !strings.Contains(err.Error(), "conditional") && !strings.Contains(err.Error(), "none of that name") {
			t.Errorf("%+v: %v", o, err)
		}
	}
}
