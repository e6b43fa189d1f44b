package onnxgo

// Files from another exporter: the torch.onnx PixelCNN fixtures of
// testdata/torch (see its README) in onnx-go, against PyTorch's own outputs.

import (
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// torchOutcome is what onnx-go does with a fixture today.
type torchOutcome int

const (
	torchMatches      torchOutcome = iota // PyTorch's outputs within atol + rtol·|ref|
	torchPre13Softmax                     // runs, but Softmax(axis=1) normalizes over Q·H·W
	torchNoData                           // UnmarshalBinary: "No data found" (external data)
)

func TestTorchFixtures(t *testing.T) {
	cases := map[string]torchOutcome{
		"opset11_static":   torchMatches,
		"opset11_dynamic":  torchMatches,
		"opset13_static":   torchMatches,
		"opset13_dynamic":  torchMatches,
		"opset17_static":   torchMatches,
		"opset17_dynamic":  torchMatches,
		"opset13_unfolded": torchMatches, // Mul(weight, mask) and Identity nodes
		"opset11_softmax":  torchMatches, // Transpose → Softmax(axis=3) → Transpose
		"opset13_softmax":  torchPre13Softmax,
		"opset17_softmax":  torchPre13Softmax,
		"opset13_external": torchNoData,
	}
	root := filepath.Join(repoRoot, "testdata", "torch")
	dirs, err := filepath.Glob(filepath.Join(root, "opset*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) != len(cases) {
		t.Fatalf("%s holds %d fixtures, this test knows %d: add the new ones here and to README.md", root, len(dirs), len(cases))
	}
	for _, name := range slices.Sorted(maps.Keys(cases)) {
		want := cases[name]
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(root, name)
			b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			in, err := testenv.ReadTensorProto(filepath.Join(dir, "test_data_set_0", "input_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			ref, err := testenv.ReadTensorProto(filepath.Join(dir, "test_data_set_0", "output_0.pb"))
			if err != nil {
				t.Fatal(err)
			}
			gm, err := loadGo(b)
			if want == torchNoData {
				errorContains(t, "onnx-go UnmarshalBinary of a torch.onnx file with external data", err, "No data found")
				return
			}
			if err != nil {
				t.Fatalf("onnx-go: UnmarshalBinary: %v", err)
			}
			got, shape, err := gm.run(ints(in.Shape), in.Data)
			if err != nil {
				t.Fatalf("onnx-go: %v", err)
			}
			if !sameShape(shape, ints(ref.Shape)) {
				t.Fatalf("output shape %v, PyTorch's %v", shape, ref.Shape)
			}
			switch want {
			case torchMatches:
				d := expectClose(t, "onnx-go vs PyTorch", got, ref.Data, atol, rtol)
				t.Logf("%d values: max abs diff %.3g", len(got), d.maxAbs)
			case torchPre13Softmax:
				if testenv.Close(got, ref.Data, atol, rtol) == nil {
					t.Fatal("onnx-go now gives PyTorch's Softmax(axis=1) at opset >= 13: update the test and README.md")
				}
				_, perImage := softmaxSums(got, shape)
				for i, s := range perImage {
					if !(math.Abs(s-1) <= 1e-3) {
						t.Fatalf("image %d sums to %v over Q·H·W, want 1 (pre-13 rule)", i, s)
					}
				}
			}
		})
	}
}
