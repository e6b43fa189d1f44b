package train

import (
	"context"
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// issueSmallConfig is the small model of the training issue's acceptance
// run: `pixelgraph train --filters 32 --hidden 16 --blocks 3 --levels 4`
// (other sizes as the seed's).
func issueSmallConfig() graph.Config {
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Levels = 32, 16, 3, 4
	return c
}

// TestSmallModelMNIST trains the issue's small model for 300 steps of 16
// images on real MNIST and evaluates the first 1000 test images; the issue
// asks for below 0.45 bits/dim. It takes minutes, so it runs only with
// PIXELGRAPH_LONG=1 (PIXELGRAPH_STEPS overrides the 300):
//
//	PIXELGRAPH_LONG=1 go test ./train -run SmallModelMNIST -v -timeout 1h
func TestSmallModelMNIST(t *testing.T) {
	if os.Getenv("PIXELGRAPH_LONG") == "" {
		t.Skip("set PIXELGRAPH_LONG=1 to train on real MNIST")
	}
	steps := 300
	if s, err := strconv.Atoi(os.Getenv("PIXELGRAPH_STEPS")); err == nil && s > 0 {
		steps = s
	}
	train, err := dataset.Load("", dataset.Train)
	var miss *dataset.MissingError
	if errors.As(err, &miss) {
		testenv.Unavailable(t, "MNIST ("+dataset.Module+" in the module cache)", err.Error(), "scripts/install-test-deps.sh, or: go mod download "+dataset.Module+"@"+dataset.Version)
	}
	if err != nil {
		t.Fatal(err)
	}
	test, err := dataset.Load("", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	g := mustPixelCNN(t, issueSmallConfig())
	tr, err := New(g, Options{Batch: 16, Seed: 1, Steps: steps})
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	var n int
	err = tr.Fit(context.Background(), train, nil, func(p Progress) {
		if p.Step > steps-50 {
			sum += p.BitsPerDim
			n++
		}
		if p.Step%50 == 0 {
			t.Logf("step %d: %.4f bits/dim (batch), %.1f img/s", p.Step, p.BitsPerDim, p.ImagesPerSec)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r, err := Eval(context.Background(), g, test, EvalOptions{Batch: 100, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("after %d steps: training loss (mean of last 50 batches) %.4f bits/dim; test (first 1000) %.4f bits/dim = %.2f nats/image (eval %v)",
		steps, sum/float64(n), r.BitsPerDim, r.NatsPerImage, time.Since(start).Round(time.Second))
	if steps >= 300 && r.BitsPerDim >= 0.45 {
		t.Errorf("test NLL %.4f bits/dim after %d steps, want < 0.45", r.BitsPerDim, steps)
	}
}

// pytorchBudgetBPD is PyTorch's test NLL after the budget run (issue 4:
// "same budget, same or better figure is the goal").
const pytorchBudgetBPD = 0.2229

// TestPyTorchBudget repeats the issue's PyTorch reference run on the same
// budget: the small model with 5 blocks (filters 32, hidden 16), q=4, batch
// 32, lr 2e-3, 240 s of training on 2 threads, then the NLL of the whole
// test set, which must be at most PyTorch's 0.2229 bits/dim.
// PIXELGRAPH_LONG=1 only; PIXELGRAPH_SECONDS overrides the 240 (and then
// the figure is only logged). The budget is wall-clock time, as PyTorch's
// was: this is the one test whose outcome depends on the machine's speed
// and load, which is why it never runs by default or on CI; it logs the CPU
// time it got so a loaded run shows.
func TestPyTorchBudget(t *testing.T) {
	if os.Getenv("PIXELGRAPH_LONG") == "" {
		t.Skip("set PIXELGRAPH_LONG=1 to train on real MNIST")
	}
	budget := 240 * time.Second
	if s, err := strconv.Atoi(os.Getenv("PIXELGRAPH_SECONDS")); err == nil && s > 0 {
		budget = time.Duration(s) * time.Second
	}
	train, err := dataset.Load("", dataset.Train)
	var miss *dataset.MissingError
	if errors.As(err, &miss) {
		testenv.Unavailable(t, "MNIST ("+dataset.Module+" in the module cache)", err.Error(), "scripts/install-test-deps.sh, or: go mod download "+dataset.Module+"@"+dataset.Version)
	}
	if err != nil {
		t.Fatal(err)
	}
	test, err := dataset.Load("", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	cfg := issueSmallConfig()
	cfg.Blocks = 5
	g := mustPixelCNN(t, cfg)
	tr, err := New(g, Options{Batch: 32, LR: 2e-3, Seed: 1, Threads: 2, Epochs: 100})
	if err != nil {
		t.Fatal(err)
	}
	cpu0 := testenv.CPUTime()
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	var last Progress
	err = tr.Fit(ctx, train, nil, func(p Progress) {
		last = p
		if p.Step%100 == 0 {
			t.Logf("step %d: %.4f bits/dim (epoch mean so far %.4f), %.1f img/s", p.Step, p.BitsPerDim, p.EpochBitsPerDim, p.ImagesPerSec)
		}
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatal(err)
	}
	cpu := testenv.CPUTime() - cpu0
	start := time.Now()
	r, err := Eval(context.Background(), g, test, EvalOptions{Batch: 100})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%v of training (%.0f CPU-s, %.2f cores): %d steps (%d images, %.1f img/s); test set (%d images) %.4f bits/dim = %.2f nats/image (eval %v)",
		budget, cpu.Seconds(), cpu.Seconds()/budget.Seconds(), last.Step, last.Images, last.ImagesPerSec, r.Images, r.BitsPerDim, r.NatsPerImage, time.Since(start).Round(time.Second))
	if budget == 240*time.Second && r.BitsPerDim > pytorchBudgetBPD {
		t.Errorf("test NLL %.4f bits/dim after the 240 s budget, PyTorch %.4f: the goal is the same or better", r.BitsPerDim, pytorchBudgetBPD)
	}
}
