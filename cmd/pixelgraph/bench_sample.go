package main

import (
	"errors"
	"time"

	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// sample16 times, interleaved round by round: sampling 16 images with the
// cached sampler (go-cached), one forward pass of 16 images in the Go
// runtime (go-forward: the cached sampler does one pass's work, so its goal
// is a time within 2x of this), and one pixel of ONNX Runtime's naive loop
// (ort-naive: a forward pass of the 16 images, then the same draws as
// sample.NaiveSample). Rounds go on while the budget lasts, at most H·W (the
// naive loop's whole image); ort-naive's seconds are the sum of its passes
// when they covered the image, else the median pass time × H·W, and each
// round's ratio extrapolates that round's pass the same way.
func (b *benchRun) sample16(ortEng forwardEngine, ortErr error) error {
	const n = 16
	px := b.geo.H * b.geo.W
	cl := b.start(benchSample16, "go-cached", n)
	cl.Backend = kernels.Backend()
	fl := b.start(benchSample16, "go-forward", n)
	fl.Backend, fl.Conv = kernels.Backend(), convKernel()
	nl := b.start(benchSample16, "ort-naive", n)

	cached := func() error {
		_, err := sample.Sample(b.ctx, b.g, sample.Options{N: n, Seed: 1, Method: sample.Cached})
		return err
	}
	_, x16 := b.levels(n, 3)
	fwd, err := b.goForward(x16)
	if err != nil {
		return err
	}
	forward := func() error { _, err := fwd(); return err }

	// The naive loop's state: the images so far, the uniforms of the draws.
	x := make([]float32, n*px)
	u := make([][]float64, n)
	for i := range u {
		u[i] = sample.Uniforms(1, i, px)
	}
	q := b.geo.Q
	p := 0 // the next pixel
	naive := func() error {
		if p >= px {
			return errors.New("ort-naive: the image is complete") // Interleave runs at most px rounds
		}
		logits, err := ortEng.Forward(x, n)
		if err != nil {
			return err
		}
		for i := range n {
			lv, _ := sample.Categorical(logits[i*q*px+p:], px, q, 1, u[i][p])
			x[i*px+p] = float32(lv) / float32(q-1)
		}
		p++
		return nil
	}

	// Warm-ups, untimed: the naive loop's is a pass that draws nothing.
	if err := cached(); err != nil {
		return err
	}
	if err := forward(); err != nil {
		return err
	}
	fs := []func() error{cached, forward}
	opts := b.opts
	opts.Warmup, opts.Gap = -1, gap()
	if ortErr == nil {
		nl.Version = ortEng.Version()
		if _, err := ortEng.Forward(x, n); err != nil {
			ortErr = err
		} else {
			fs = append(fs, naive)
			opts.MaxReps = px
		}
	}
	opts.Budget *= time.Duration(len(fs)) // the budget is per engine
	rs, err := bench.Interleave(opts, fs...)
	if err != nil {
		return err
	}
	for i, l := range []*benchLine{&cl, &fl} {
		r := rs[i]
		l.Reps, l.Seconds, l.CPUSeconds = r.Reps, r.Median.Seconds(), r.CPUMed.Seconds()
		b.efficiency(l, n, l.Seconds) // either does one forward pass of 16 images
		b.emit(*l)
	}
	b.ratio(benchSample16, "go-cached/go-forward", n, rs[0], rs[1])
	if ortErr != nil {
		b.emitError(nl, ortErr)
		b.ratio(benchSample16, "ort-naive/go-cached", n, bench.Result{}, rs[0])
		return nil
	}
	r := rs[2]
	nl.Reps = r.Reps
	if r.Reps == px { // the whole loop ran: report it as timed
		nl.Seconds, nl.CPUSeconds = sum(r.Wall).Seconds(), sum(r.CPU).Seconds()
	} else {
		nl.ExtrapolatedFrom = r.Reps
		nl.Seconds, nl.CPUSeconds = r.Median.Seconds()*float64(px), r.CPUMed.Seconds()*float64(px)
	}
	b.efficiency(&nl, float64(n*px), nl.Seconds)
	b.emit(nl)
	perImage := bench.Result{Wall: scaled(r.Wall, px), CPU: scaled(r.CPU, px)}
	b.ratio(benchSample16, "ort-naive/go-cached", n, perImage, rs[0])
	return nil
}

func sum(d []time.Duration) time.Duration {
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s
}
