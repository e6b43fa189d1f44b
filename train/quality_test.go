package train

import (
	"context"
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// Figures of TestQualityCI: the test NLL must be below qualityBound, and at
// least qualityMargin below the best model that ignores context (each pixel
// drawn from the training slice's level frequencies), itself below the
// uniform 2 bits/dim of q = 4. Measured on the 2-vCPU AMD EPYC (go test
// -run QualityCI -v ./train, 2026-12-02): 0.2812 bits/dim after the 128 steps
// (0.2809 in the pure-Go build, CGO_ENABLED=0), context-free 0.7748. The
// bound leaves ~14% for the rounding differences between kernels and CPUs
// (the AVX-512, AVX2 and pure-Go paths sum in different orders); a model
// that learns nothing, or only the level frequencies, is far above it.
const (
	qualityBound  = 0.32 // bits/dim on the test slice
	qualityMargin = 0.4  // bits/dim below the context-free model
	uniformBPD    = 2.0  // log2(q) at q = 4
)

// TestQualityCI is the CI-sized training quality check: testenv.SmallConfig
// (q = 4, 2 blocks, 16 filters) trained with a fixed seed for 8 epochs of
// the 256-image MNIST training slice in testdata/mnist (128 steps of 16
// images, lr 3e-3), then evaluated on the 256-image test slice. Training is
// deterministic by seed (TestSameSeedSameWeights, TestThreadsSameWeights);
// it takes seconds. The long runs on the full MNIST are opt-in
// (mnist_long_test.go).
func TestQualityCI(t *testing.T) {
	t.Parallel()
	train, test := mnistSlice(t)
	cfg := testenv.SmallConfig()
	g := mustPixelCNN(t, cfg)
	tr, err := New(g, Options{Batch: 16, Seed: 1, Epochs: 8, LR: 3e-3})
	if err != nil {
		t.Fatal(err)
	}
	var last Progress
	if err := tr.Fit(context.Background(), train, nil, func(p Progress) { last = p }); err != nil {
		t.Fatal(err)
	}
	if last.Step != 128 {
		t.Fatalf("trained %d steps, want 128", last.Step)
	}
	r, err := Eval(context.Background(), g, test, EvalOptions{Batch: 64})
	if err != nil {
		t.Fatal(err)
	}
	marginal := contextFreeBPD(train, test, cfg.Levels)
	t.Logf("after 128 steps: test slice %.4f bits/dim (bound %.2f); context-free model %.4f; uniform %.1f",
		r.BitsPerDim, qualityBound, marginal, uniformBPD)
	if r.Images != test.N {
		t.Errorf("evaluated %d images, want %d", r.Images, test.N)
	}
	if !(r.BitsPerDim < qualityBound) {
		t.Errorf("test NLL %.4f bits/dim after 128 steps, want < %.2f", r.BitsPerDim, qualityBound)
	}
	if !(r.BitsPerDim < marginal-qualityMargin) {
		t.Errorf("test NLL %.4f bits/dim is not %.1f below the context-free model's %.4f: the model barely uses its context", r.BitsPerDim, qualityMargin, marginal)
	}
	if !(marginal < uniformBPD) {
		t.Errorf("context-free model %.4f bits/dim, uniform %.1f: the slice or the quantization is wrong", marginal, uniformBPD)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
}

// contextFreeBPD is the test NLL, in bits/dim, of the model that draws every
// pixel from the training images' level frequencies (add-one smoothed): the
// best a model can do without looking at other pixels.
func contextFreeBPD(train, test *dataset.Images, q int) float64 {
	count := make([]float64, q)
	for _, b := range train.Pix {
		count[dataset.Level(b, q)]++
	}
	total := float64(len(train.Pix) + q)
	nll := 0.0
	for _, b := range test.Pix {
		nll -= math.Log2((count[dataset.Level(b, q)] + 1) / total)
	}
	return nll / float64(len(test.Pix))
}
