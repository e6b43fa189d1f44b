package sample

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"
	"sync"
)

// cached samples with the incremental plan. Images are split among
// Options.Threads (default GOMAXPROCS) workers, each with its own
// activations; every worker walks the pixels in raster order: one draw per
// image from the logits at p (computed ahead, see plan), write pixel p, then
// advance the plan to time p. labels holds each conditioning input's value
// per image.
func cached(ctx context.Context, pl *plan, geo Geometry, opts Options, labels [][]int64, known []int32, rows int) (*Result, error) {
	res, u := newResult(geo, opts, Cached)
	n, px, q := opts.N, pl.pixels, geo.Q
	threads := opts.Threads
	if threads < 1 {
		threads = runtime.GOMAXPROCS(0)
	}
	workers := min(threads, (n+3)/4)
	var (
		mu   sync.Mutex
		done = make([]int, workers)
		last int
		near = make([][]int, workers)
		errs = make([]error, workers)
		wg   sync.WaitGroup
	)
	report := func(w, p int) {
		if opts.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done[w] = p
		if m := slices.Min(done); m > last {
			last = m
			opts.Progress(m, px)
		}
	}
	scale := 1 / float32(q-1)
	for w := 0; w < workers; w++ {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A panic here (a kernel's, or Options.Progress's) would end the
			// process whatever the caller recovers: it becomes this call's error.
			defer func() {
				if r := recover(); r != nil {
					errs[w] = fmt.Errorf("cached sampler, images %d..%d: panic: %v\n%s", lo, hi-1, r, debug.Stack())
				}
			}()
			s := newState(pl, hi-lo, labelsOf(labels, lo, hi))
			s.advance(-1)
			for p := 0; p < px; p++ {
				if p%pl.w == 0 {
					if err := ctx.Err(); err != nil {
						errs[w] = err
						return
					}
				}
				logits, x := s.at(pl.output, p), s.at(pl.input, p)
				for i := lo; i < hi; i++ {
					var l int
					if p < rows*pl.w {
						l = int(known[i*px+p])
					} else {
						var nr bool
						l, nr = Categorical(logits[(i-lo)*q:], 1, q, opts.Temperature, u[i][p])
						if nr {
							near[w] = append(near[w], i*px+p)
						}
					}
					res.Levels[i*px+p] = int32(l)
					x[(i-lo)*pl.inC] = float32(l) * scale
				}
				s.advance(p)
				report(w, p+1)
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, nr := range near {
		res.NearBoundary = append(res.NearBoundary, nr...)
	}
	slices.Sort(res.NearBoundary)
	return res, nil
}

// labelsOf returns images [lo, hi) of each conditioning input's values.
func labelsOf(labels [][]int64, lo, hi int) [][]int64 {
	out := make([][]int64, len(labels))
	for k, l := range labels {
		out[k] = l[lo:hi]
	}
	return out
}
