package main

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// forwardEngine runs a model's forward pass on n images (n·C·H·W floats,
// level/(q−1)) and returns the logits (n·q·C·H·W), valid until the next
// call.
type forwardEngine interface {
	Forward(x []float32, n int) ([]float32, error)
	Version() string
	Close() error
}

// convKernel names the conv kernel of the Go runtime's chain (the
// kernels' level: PIXELGRAPH_CPU may force AVX2 or pure Go).
func convKernel() string {
	switch kernels.CPU().Level {
	case "avx512":
		return "direct channels-last (AVX-512)"
	case "avx2":
		return "direct channels-last (AVX2)"
	}
	return "im2col + SGEMM"
}

// goForward compiles the Go runtime's program for the run's threads and
// returns a function that runs it on x and returns the logits.
func (b *benchRun) goForward(x *graph.Tensor) (func() ([]float32, error), error) {
	p, err := runtime.CompileWith(b.g, runtime.Options{Threads: b.f.threads})
	if err != nil {
		return nil, err
	}
	in := map[string]*graph.Tensor{graph.InputName: x}
	out := b.g.Outputs[0].Name
	return func() ([]float32, error) {
		if err := b.ctx.Err(); err != nil {
			return nil, err
		}
		res, err := p.Run(b.ctx, in)
		if err != nil {
			return nil, err
		}
		return res[out].F32, nil
	}, nil
}

// maxAbsDiff returns the largest |got − want|, or an error when the sizes
// differ; a NaN anywhere makes it NaN.
func maxAbsDiff(got, want []float32) (float64, error) {
	if len(got) != len(want) {
		return 0, fmt.Errorf("%d logits, the Go runtime gave %d", len(got), len(want))
	}
	var m float64
	for i := range got {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m, nil
}

// forward times the Go runtime's and ONNX Runtime's forward pass of a
// batch of n, interleaved (one of each per round), after checking that the
// two give the same logits on that batch.
func (b *benchRun) forward(ortEng forwardEngine, ortErr error, n int) error {
	goLine := b.start(benchForward, "go", n)
	goLine.Backend, goLine.Conv = kernels.Backend(), convKernel()
	ortLine := b.start(benchForward, "ort", n)
	_, x := b.levels(n, 1)
	fwd, err := b.goForward(x)
	if err != nil {
		return err
	}
	runGo := func() error { _, err := fwd(); return err }
	runORT := func() error { _, err := ortEng.Forward(x.F32, n); return err }
	if ortErr == nil {
		ortLine.Version = ortEng.Version()
		// Same weights, same input: the engines must agree before their
		// times mean anything.
		want, err := fwd()
		if err != nil {
			return err
		}
		got, err := ortEng.Forward(x.F32, n)
		if err == nil {
			var d float64
			if d, err = maxAbsDiff(got, want); err == nil {
				ortLine.MaxAbsDiff = &d
			}
		}
		if err != nil {
			ortErr = fmt.Errorf("onnxruntime forward: %w", err)
		}
	}
	opts := b.opts
	fs := []func() error{runGo}
	if ortErr == nil {
		opts.Budget *= 2 // the budget is per engine
		opts.Gap = gap()
		fs = append(fs, runORT)
	}
	rs, err := bench.Interleave(opts, fs...)
	if err != nil {
		return err
	}
	b.rates(&goLine, rs[0], n, 1)
	b.emit(goLine)
	if ortErr != nil {
		b.emitError(ortLine, ortErr)
		b.ratio(benchForward, "go/ort", n, bench.Result{}, rs[0])
		return nil
	}
	b.rates(&ortLine, rs[1], n, 1)
	b.emit(ortLine)
	b.ratio(benchForward, "go/ort", n, rs[1], rs[0])
	return nil
}
