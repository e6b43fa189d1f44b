package main

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

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

// TestRunTorchFixtures runs every torch.onnx-exported PixelCNN fixture
// (opsets 11/13/17, static and dynamic batch, Softmax, external data; see
// testdata/torch/README.md) through `pixelgraph run` and compares with
// PyTorch's outputs using the ONNX backend tests' tolerance
// |got-ref| <= 1e-7 + 1e-3·|ref|.
func TestRunTorchFixtures(t *testing.T) {
	t.Parallel()
	dirs, err := filepath.Glob("../../testdata/torch/*/model.onnx")
	if err != nil || len(dirs) < 10 {
		t.Fatalf("found %d torch fixtures (%v); want the 10+ of testdata/torch", len(dirs), err)
	}
	for _, model := range dirs {
		dir := filepath.Dir(model)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			ins, _ := filepath.Glob(filepath.Join(dir, "test_data_set_0", "input_*.pb"))
			args := []string{"run", "-q", "-m", model, "-o", t.TempDir()}
			out := args[len(args)-1]
			for _, in := range ins {
				args = append(args, "-i", in)
			}
			if code, _, stderr := pg(t, args...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			refs, _ := filepath.Glob(filepath.Join(dir, "test_data_set_0", "output_*.pb"))
			if len(refs) == 0 {
				t.Fatal("no reference outputs")
			}
			for _, ref := range refs {
				want := readTensor(t, ref)
				got := readTensor(t, filepath.Join(out, filepath.Base(ref)))
				if graph.ShapeString(got.Shape, nil) != graph.ShapeString(want.Shape, nil) {
					t.Fatalf("%s: shape %v, want %v", filepath.Base(ref), got.Shape, want.Shape)
				}
				// The backend suite's own tolerance (atol 1e-7, rtol 1e-3).
				if !testenv.AllClose(t, got.F32, want.F32, 1e-7, 1e-3, "%s", filepath.Base(ref)) {
					t.FailNow()
				}
				worst := 0.0
				for i := range want.F32 {
					worst = max(worst, math.Abs(float64(got.F32[i]-want.F32[i])))
				}
				t.Logf("%s: max |diff| %.3g over %d values", filepath.Base(ref), worst, len(want.F32))
			}
		})
	}
}

func TestRunUsage(t *testing.T) {
	t.Parallel()
	model := "../../testdata/torch/opset13_static/model.onnx"
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"run", "-o", t.TempDir()}, 2},
		{[]string{"run", "-m", model}, 2},
		{[]string{"run", "-m", model, "-o", t.TempDir()}, 2}, // no -i for the graph's one input
		{[]string{"run", "-m", model, "-o", t.TempDir(), "-i", "/nonexistent.pb"}, 1},
	} {
		if code, _, stderr := pg(t, c.args...); code != c.code {
			t.Errorf("%v: exit %d (%s), want %d", c.args, code, stderr, c.code)
		}
	}
}
