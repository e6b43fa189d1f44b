package main

import (
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// forwardEngine runs a model's forward pass on n images (n·H·W floats,
// level/(q−1)) and returns the logits (n·q·H·W), valid until the next call.
type forwardEngine interface {
	Forward(x []float32, n int) ([]float32, error)
	Version() string
	Close() error
}

// convKernel names the conv kernel of the Go runtime's chain.
func convKernel() string {
	if kernels.HasDirect() {
		return "direct channels-last (AVX-512)"
	}
	return "im2col + SGEMM"
}

// forward times the Go runtime's and ONNX Runtime's forward pass of a
// batch, interleaved (one of each per round).
func (b *benchRun) forward(ortEng forwardEngine, ortErr error) error {
	n := b.f.batch
	goLine := b.start(benchForward, "go", n)
	goLine.Backend, goLine.Conv = kernels.Backend(), convKernel()
	ortLine := b.start(benchForward, "ort", n)
	p, err := runtime.CompileWith(b.g, runtime.Options{Threads: b.f.threads})
	if err != nil {
		return err
	}
	_, x := b.levels(n, 1)
	in := map[string]*graph.Tensor{graph.InputName: x}
	runGo := func() error {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		_, err := p.Run(b.ctx, in)
		return err
	}
	if ortErr != nil {
		r, err := bench.Measure(b.opts, runGo)
		if err != nil {
			return err
		}
		rates(&goLine, r, n)
		b.emit(goLine)
		b.emitError(ortLine, ortErr)
		return nil
	}
	ortLine.Version = ortEng.Version()
	runORT := func() error {
		_, err := ortEng.Forward(x.F32, n)
		return err
	}
	opts := b.opts
	opts.Budget *= 2 // the budget is per engine
	opts.Gap = gap()
	rs, err := bench.Interleave(opts, runGo, runORT)
	if err != nil {
		return err
	}
	rates(&goLine, rs[0], n)
	rates(&ortLine, rs[1], n)
	b.emit(goLine)
	b.emit(ortLine)
	return nil
}
