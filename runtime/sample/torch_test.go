package sample

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// torchFixtures returns the torch.onnx-exported models under
// testdata/torch (see its README for provenance).
func torchFixtures(t *testing.T) map[string]*graph.Graph {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "torch", "*", "model.onnx"))
	if len(files) == 0 {
		t.Fatal("no testdata/torch/*/model.onnx")
	}
	gs := map[string]*graph.Graph{}
	for _, f := range files {
		g, err := export.DecodeFile(f, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		gs[filepath.Base(filepath.Dir(f))] = g
	}
	return gs
}

// TestCachedOnTorchFixtures: every torch.onnx export is proven causal
// (folded Mul masks, trailing softmax forms included), its plan logits
// match the Go runtime, and cached == naive for the same seeds.
func TestCachedOnTorchFixtures(t *testing.T) {
	t.Parallel()
	for name, g := range torchFixtures(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pl, err := compile(g)
			if err != nil {
				t.Fatal(err)
			}
			geo, err := GeometryOf(g)
			if err != nil {
				t.Fatal(err)
			}
			// PyTorch's own output on the fixture's input.
			dir := filepath.Join("..", "..", "testdata", "torch", name, "test_data_set_0")
			tin, tout := readTensor(t, filepath.Join(dir, "input_0.pb")), readTensor(t, filepath.Join(dir, "output_0.pb"))
			pt := pl.forward(tin.F32, tin.Shape[0], nil)
			if geo.Probs {
				pt = channelSoftmax(pt, tin.Shape[0], geo.Q, geo.H*geo.W)
			}
			// PyTorch sums the same float32 products in its own order.
			if !testenv.AllClose(t, pt, tout.F32, 1e-5, 1e-4, "plan vs PyTorch") {
				t.FailNow()
			}
			x := randomImages(3, geo.H*geo.W, geo.Q, 11)
			want, err := GraphForward(g)(context.Background(), x, 3)
			if err != nil {
				t.Fatal(err)
			}
			got := pl.forward(x, 3, nil)
			if geo.Probs {
				got = channelSoftmax(got, 3, geo.Q, geo.H*geo.W)
			}
			// Float32 sums of a few hundred terms in another order.
			if !testenv.AllClose(t, got, want, 1e-5, 1e-4, "plan vs runtime") {
				t.FailNow()
			}
			for _, seed := range []uint64{1, 2} {
				checkCachedEqualsNaive(t, g, Options{N: 3, Seed: seed})
			}
			r, err := Audit(context.Background(), g, AuditOptions{})
			if err != nil || !r.Causal || r.StructuralSkipped != "" {
				t.Errorf("audit: %v\n%v", err, r)
			}
		})
	}
}

func readTensor(t *testing.T, path string) *graph.Tensor {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, x, err := export.UnmarshalTensor(b, nil)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return x
}

func channelSoftmax(l []float32, n, q, px int) []float32 {
	out := make([]float32, len(l))
	for i := 0; i < n; i++ {
		for p := 0; p < px; p++ {
			m := math.Inf(-1)
			for k := 0; k < q; k++ {
				m = max(m, float64(l[(i*q+k)*px+p]))
			}
			s := 0.0
			for k := 0; k < q; k++ {
				s += math.Exp(float64(l[(i*q+k)*px+p]) - m)
			}
			for k := 0; k < q; k++ {
				out[(i*q+k)*px+p] = float32(math.Exp(float64(l[(i*q+k)*px+p])-m) / s)
			}
		}
	}
	return out
}
