package main

import (
	"fmt"
	"os"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"time"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/train"
)

// trainPasses is a training step's work in forward passes: the forward,
// the input gradient and the weight gradient of every conv, each the
// multiply-adds of one forward pass (issue 14's count; the first conv's
// input gradient is not needed but is computed by the same kernels).
const trainPasses = 3

// train times train.Trainer.Step (forward, backward, gradient clip, Adam)
// on a fixed random batch of n and, unless --no-pytorch, the same step in
// PyTorch (testdata/pytorch_bench.py in a subprocess), alternating one step
// of each per round so that both meet the same machine load. Before timing,
// the PyTorch twin runs one forward pass on our weights and the same batch
// (checkTwin). gorgonia's peak RSS is this process's from the start of the
// bench (after a GC and the ONNX Runtime session closed); PyTorch's is its
// own process's.
func (b *benchRun) train(n int) error {
	gl := b.start(benchTrain, "gorgonia", n)
	gl.Params = paramCount(b.g)
	pl := gl
	pl.Engine, pl.Params = "pytorch", 0
	goruntime.GC()
	debug.FreeOSMemory()
	reset := bench.ResetPeakRSS()
	gl.StartRSSMB = float64(bench.RSS()) / (1 << 20)
	lv, x := b.levels(n, 2)
	var py *pytorchStepper
	var pyErr error
	var want []float32 // the Go runtime's logits on x, for the twin check
	if !b.f.noPytorch {
		py, pyErr = b.startPytorch(n) // imports torch while gorgonia warms up
		if py != nil {
			defer py.close()
		}
		fwd, err := b.goForward(x)
		if err != nil {
			return err
		}
		if want, err = fwd(); err != nil {
			return err
		}
	}
	tr, err := train.New(b.g, train.Options{Batch: n, Seed: 1})
	if err != nil {
		return err
	}
	gStep := func() error {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		_, err := tr.Step(x, lv)
		return err
	}
	if err := gStep(); err != nil { // warm-up
		return err
	}
	if py != nil {
		pl.Version, pl.Params, pyErr = py.ready()
		if pyErr == nil {
			pyErr = b.checkTwin(py, &pl, x, want)
		}
		if pyErr != nil {
			py.close()
			py = nil
		}
	}
	var gr, pr bench.Result
	var spent time.Duration
	budget := b.f.budget
	if py != nil {
		budget *= 2 // the budget is per engine
	}
	pause := gap()
	for round := 0; round < 1000 && (round < 3 || spent < budget); round++ {
		for k := range 2 {
			time.Sleep(pause) // see gap: the other engine's threads wind down
			spent += pause    // counts toward the budget: tiny steps stay short
			if (k == 0) == (round%2 == 0) {
				c0, t0 := bench.CPUTime(), time.Now()
				if err := gStep(); err != nil {
					return err
				}
				w := time.Since(t0)
				gr.Wall, gr.CPU = append(gr.Wall, w), append(gr.CPU, bench.CPUTime()-c0)
				spent += w
			} else if py != nil {
				w, c, err := py.step()
				if err != nil {
					pyErr = err
					py.close()
					py = nil
					continue
				}
				pr.Wall, pr.CPU = append(pr.Wall, w), append(pr.CPU, c)
				spent += w
			}
		}
	}
	summarize(&gr)
	summarize(&pr)
	b.rates(&gl, gr, n, trainPasses)
	if reset {
		gl.PeakRSSMB = float64(bench.PeakRSS()) / (1 << 20)
	}
	b.emit(gl)
	if b.f.noPytorch {
		return nil
	}
	if pyErr == nil && py != nil {
		pl.PeakRSSMB, pyErr = py.finish()
	}
	if pyErr != nil {
		b.emitError(pl, pyErr)
		b.ratio(benchTrain, "gorgonia/pytorch", n, bench.Result{}, gr)
		return nil
	}
	b.rates(&pl, pr, n, trainPasses)
	b.emit(pl)
	b.ratio(benchTrain, "gorgonia/pytorch", n, pr, gr)
	return nil
}

// summarize fills r's counts and medians from its Wall and CPU times.
func summarize(r *bench.Result) {
	r.Reps, r.Median, r.CPUMed = len(r.Wall), bench.Median(r.Wall), bench.Median(r.CPU)
}

// checkTwin has the PyTorch twin run one forward pass on the model's
// weights (before any training step) and the batch x, and records on its
// line how far its logits are from want, the Go runtime's. A twin that
// cannot load our weights (a parameter missing, left over or of another
// shape) fails the check, and its line carries the error.
func (b *benchRun) checkTwin(py *pytorchStepper, pl *benchLine, x *graph.Tensor, want []float32) error {
	dir, err := os.MkdirTemp("", "pixelgraph-bench-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	in, out := filepath.Join(dir, "twin-input.bin"), filepath.Join(dir, "twin-logits.bin")
	if err := writeTwinInput(in, b.g, x); err != nil {
		return err
	}
	got, params, err := py.check(in, out)
	if err != nil {
		return err
	}
	if params != pl.Params {
		return fmt.Errorf("twin check: a fresh twin has %d parameters, the served one %d", params, pl.Params)
	}
	d, err := maxAbsDiff(got, want)
	if err != nil {
		return fmt.Errorf("twin check: %w", err)
	}
	pl.MaxAbsDiff = &d
	return nil
}
