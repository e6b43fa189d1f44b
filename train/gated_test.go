package train

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// mnistGated is a small conditional Gated PixelCNN on MNIST-sized images.
func mnistGated(t testing.TB) *graph.Graph {
	t.Helper()
	c := testenv.GatedConfig(10)
	c.Height, c.Width, c.Filters, c.Layers, c.Head = 28, 28, 8, 3, 16
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGatedFit trains the conditional Gated PixelCNN on the MNIST slice
// with its labels: the loss falls, every masked tap stays exactly 0, the
// class tables move (their rows get the gradients of the batch's labels),
// and gorgonia's logits for a labelled batch are the Go runtime's.
func TestGatedFit(t *testing.T) {
	t.Parallel()
	g := mnistGated(t)
	before := map[string][]float32{}
	for _, v := range g.Inits {
		if v.Const.DType == graph.Float32 {
			before[v.Name] = slices.Clone(v.Const.F32)
		}
	}
	tr, err := New(g, Options{Batch: 8, LR: 3e-3, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := tr.Conds(); !slices.Equal(got, []string{graph.LabelName}) {
		t.Fatalf("conds %v", got)
	}
	ls := fitSteps(t, tr, 40)
	first, last := mean(ls[:8]), mean(ls[len(ls)-8:])
	t.Logf("loss %.4f -> %.4f nats/pixel", first, last)
	if !(last < first-0.05) {
		t.Errorf("loss %.4f -> %.4f: no progress", first, last)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
	moved := 0
	for _, v := range g.Inits {
		if len(v.Shape) == 4 && v.Shape[0] == 10 && !slices.Equal(v.Const.F32, before[v.Name]) {
			moved++
		}
	}
	if moved != 2*3-1 {
		t.Errorf("%d class tables moved, want %d", moved, 2*3-1)
	}

	// gorgonia's forward with labels == the Go runtime's.
	const n, q = 3, 4
	levels := randomLevels(4, n*28*28, q)
	e, err := newEvaluator(g, n, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	labels := []int64{3, 9, 0}
	if err := e.l.setLabels([][]int64{labels}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.nats(levels); err != nil {
		t.Fatal(err)
	}
	x := graph.NewFloat32([]int{n, 1, 28, 28}, nil)
	for i, l := range levels {
		x.F32[i] = float32(l) / (q - 1)
	}
	out, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{graph.InputName: x, graph.LabelName: graph.NewInt64([]int{n}, labels)})
	if err != nil {
		t.Fatal(err)
	}
	// two float32 engines, different summation orders: the design's 1e-4
	testenv.AllClose(t, e.logits.Data().([]float32), out[graph.OutputName].F32, 1e-4, 1e-4, "logits gorgonia vs runtime")

	// A label outside the tables is refused before a step, naming the Gather.
	if err := tr.SetLabels(make([]int64, 7)); err == nil {
		t.Error("7 labels for a batch of 8 accepted")
	}
	bad := make([]int64, 8)
	bad[5] = 10
	if err := tr.SetLabels(bad); err == nil || !contains(err.Error(), "g00/vcond/gather (Gather)", "index 10 is out of range") {
		t.Errorf("label 10: %v", err)
	}
}

func mean(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// contains reports whether s contains every part.
func contains(s string, parts ...string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}
