package main

import (
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"
)

// TestEvalTorchNLL: `pixelgraph eval` of a PyTorch-exported PixelCNN agrees
// with the NLL PyTorch computes for it (issue 4). testdata/torch/mnist28_q4
// is graph.PixelCNN's architecture at 28x28, q = 4, trained 50 Adam steps in
// PyTorch; pytorch_nll.json is PyTorch's NLL over the first 100 test images
// of testdata/mnist (float32 forward, float64 log_softmax), written by
// testdata/torch/make_fixtures.py.
func TestEvalTorchNLL(t *testing.T) {
	t.Parallel()
	const dir = "../../testdata/torch/mnist28_q4"
	b, err := os.ReadFile(dir + "/pytorch_nll.json")
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		NatsPerImage float64 `json:"nats_per_image"`
		BitsPerDim   float64 `json:"bits_per_dim"`
		Images       int     `json:"images"`
	}
	var want result
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	if want.Images != 100 || !(want.BitsPerDim > 0.1 && want.BitsPerDim < 1.5) {
		// Uniform over 4 levels is 2 bits/dim: a trained model is well below.
		t.Fatalf("unexpected fixture %+v", want)
	}
	code, out, stderr := pg(t, "eval", "-m", dir+"/model.onnx", "--limit", "100", "--data", "../../testdata/mnist", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got result
	if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	// Both sides run the forward pass in float32 (summation orders differ:
	// PyTorch's conv kernels vs the Go runtime) and take log_softmax and the
	// sum over 100·784 pixels in float64. A float32 rounding difference of
	// ~1e-7 relative per logit, amplified through 7 layers, stays around
	// 1e-6 relative in the total (measured here: 1e-8, the per-pixel errors
	// mostly cancel); 1e-5 relative leaves room for other CPUs' kernels and
	// still catches any real disagreement (a wrong quantization, level or
	// mask moves the NLL by far more than 1e-3).
	const rtol = 1e-5
	rel := func(g, w float64) float64 { return math.Abs(g-w) / math.Abs(w) }
	t.Logf("pixelgraph eval %+v; PyTorch %+v; relative differences %.2g (bits/dim), %.2g (nats/image)",
		got, want, rel(got.BitsPerDim, want.BitsPerDim), rel(got.NatsPerImage, want.NatsPerImage))
	if got.Images != want.Images {
		t.Errorf("images %d, want %d", got.Images, want.Images)
	}
	if rel(got.BitsPerDim, want.BitsPerDim) > rtol || rel(got.NatsPerImage, want.NatsPerImage) > rtol {
		t.Errorf("pixelgraph eval %+v disagrees with PyTorch %+v beyond %g relative", got, want, rtol)
	}
}
