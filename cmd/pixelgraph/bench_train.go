package main

import (
	goruntime "runtime"
	"runtime/debug"
	"time"

	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/train"
)

// train times train.Trainer.Step (forward, backward, gradient clip, Adam)
// on a fixed random batch and, unless --no-pytorch, the same step in
// PyTorch (testdata/pytorch_bench.py in a subprocess), alternating one step
// of each per round so that both meet the same machine load. gorgonia's
// peak RSS is this process's from the start of the bench (after a GC and the
// ONNX Runtime session closed); PyTorch's is its own process's.
func (b *benchRun) train() error {
	n := b.f.batch
	gl := b.start(benchTrain, "gorgonia", n)
	pl := gl
	pl.Engine = "pytorch"
	goruntime.GC()
	debug.FreeOSMemory()
	reset := bench.ResetPeakRSS()
	gl.StartRSSMB = float64(bench.RSS()) / (1 << 20)
	var py *pytorchStepper
	var pyErr error
	if !b.f.noPytorch {
		py, pyErr = b.startPytorch() // imports torch while gorgonia warms up
		if py != nil {
			defer py.close()
		}
	}
	tr, err := train.New(b.g, train.Options{Batch: n, Seed: 1})
	if err != nil {
		return err
	}
	lv, x := b.levels(n, 2)
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
		if pl.Version, pyErr = py.ready(); pyErr != nil {
			py.close()
			py = nil
		}
	}
	var gw, gc, pw, pc []time.Duration
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
				gw, gc = append(gw, w), append(gc, bench.CPUTime()-c0)
				spent += w
			} else if py != nil {
				w, c, err := py.step()
				if err != nil {
					pyErr = err
					py.close()
					py = nil
					continue
				}
				pw, pc = append(pw, w), append(pc, c)
				spent += w
			}
		}
	}
	rates(&gl, bench.Result{Reps: len(gw), Median: bench.Median(gw), CPUMed: bench.Median(gc)}, n)
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
		return nil
	}
	rates(&pl, bench.Result{Reps: len(pw), Median: bench.Median(pw), CPUMed: bench.Median(pc)}, n)
	b.emit(pl)
	return nil
}
