package train

import (
	"context"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// TestForwardMatchesRuntime: gorgonia's logits equal the Go runtime's for
// the same trained weights and inputs.
func TestForwardMatchesRuntime(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.SmallConfig())
	// Move the weights off their initial values first (a few steps), so the
	// comparison is on trained, asymmetric weights.
	tr, err := New(g, Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	const n, q = 2, 4
	hw := 28 * 28
	for s := 0; s < 3; s++ {
		if _, err := tr.stepLevels(randomLevels(uint64(10+s), n*hw, q)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tr.WriteBack(); err != nil {
		t.Fatal(err)
	}
	levels := randomLevels(4, n*hw, q)
	e, err := newEvaluator(g, n, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.nats(levels); err != nil {
		t.Fatal(err)
	}
	x := graph.NewFloat32([]int{n, 1, 28, 28}, nil)
	for i, l := range levels {
		x.F32[i] = float32(l) / (q - 1)
	}
	out, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{graph.InputName: x})
	if err != nil {
		t.Fatal(err)
	}
	want32 := out[graph.OutputName].F32
	got32 := e.logits.Data().([]float32)
	got, want := make([]float64, len(got32)), make([]float64, len(want32))
	for i := range got32 {
		got[i] = float64(got32[i])
	}
	for i := range want32 {
		want[i] = float64(want32[i])
	}
	// Two float32 engines with different summation orders: a few 1e-6 apart;
	// 1e-4 is the design's oracle tolerance.
	testenv.AllClose(t, got, want, 1e-4, 1e-4, "logits gorgonia vs runtime")
}
