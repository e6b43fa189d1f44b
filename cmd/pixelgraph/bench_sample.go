package main

import (
	"time"

	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// sample16 times sampling 16 images with the cached sampler, then ONNX
// Runtime's naive loop (one forward pass of the 16 images per pixel, with
// the same draws as sample.NaiveSample) on as many pixels as the budget
// allows, extrapolated to H·W passes by the median pass time.
func (b *benchRun) sample16(ortEng forwardEngine, ortErr error) error {
	const n = 16
	l := b.start(benchSample16, "go-cached", n)
	l.Backend = kernels.Backend()
	r, err := bench.Measure(b.opts, func() error {
		_, err := sample.Sample(b.ctx, b.g, sample.Options{N: n, Seed: 1, Method: sample.Cached})
		return err
	})
	if err != nil {
		return err
	}
	l.Reps, l.Seconds, l.CPUSeconds = r.Reps, r.Median.Seconds(), r.CPUMed.Seconds()
	b.emit(l)

	l = b.start(benchSample16, "ort-naive", n)
	if ortErr != nil {
		b.emitError(l, ortErr)
		return nil
	}
	l.Version = ortEng.Version()
	geo, err := sample.GeometryOf(b.g)
	if err != nil {
		return err
	}
	px := geo.H * geo.W
	u := make([][]float64, n)
	for i := range u {
		u[i] = sample.Uniforms(1, i, px)
	}
	x := make([]float32, n*px)
	if _, err := ortEng.Forward(x, n); err != nil { // warm-up
		b.emitError(l, err)
		return nil
	}
	var wall, cpu []time.Duration
	var spent time.Duration
	for p := 0; p < px && (p < 3 || spent < b.f.budget); p++ {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		c0, t0 := bench.CPUTime(), time.Now()
		logits, err := ortEng.Forward(x, n)
		if err != nil {
			b.emitError(l, err)
			return nil
		}
		for i := range n {
			lv, _ := sample.Categorical(logits[i*geo.Q*px+p:], px, geo.Q, 1, u[i][p])
			x[i*px+p] = float32(lv) / float32(geo.Q-1)
		}
		w := time.Since(t0)
		wall, cpu = append(wall, w), append(cpu, bench.CPUTime()-c0)
		spent += w
	}
	l.Reps = len(wall)
	if len(wall) == px { // the whole loop ran: report it as timed
		l.Seconds = sum(wall).Seconds()
		l.CPUSeconds = sum(cpu).Seconds()
	} else {
		l.ExtrapolatedFrom = len(wall)
		l.Seconds = bench.Median(wall).Seconds() * float64(px)
		l.CPUSeconds = bench.Median(cpu).Seconds() * float64(px)
	}
	b.emit(l)
	return nil
}

func sum(d []time.Duration) time.Duration {
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s
}
