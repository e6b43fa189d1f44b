package train

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pixelgraph/pixelgraph/internal/par"
	"gorgonia.org/tensor"
)

// The serial parts of a step (everything outside the kernels' parallel
// convs: bias gradients, residual sums, chunk sums of dW, the clip, Adam)
// run on the step's thread budget (Options.Threads) through forEach and
// forRanges. Each output element is computed by one goroutine in the same
// order of operations whatever the split, so the results are bit-identical
// at any thread count.

// threadsOr resolves a thread budget: n, or GOMAXPROCS when n < 1.
func threadsOr(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// forEach calls f(i) for every i in [0, n) on up to threads goroutines,
// the caller's included, handing out indices in increasing order.
func forEach(n, threads int, f func(i int)) {
	var next atomic.Int64
	par.Do(min(threads, n), func() { // one worker: inline
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			f(i)
		}
	})
}

// forImages calls f(i) for every image i in [0, n) on the thread budget,
// when each image holds at least minRange/4 elements of work (else on the
// caller's goroutine): the per-image passes of the elementwise ops (gate,
// embed), whose results do not depend on the split.
func forImages(n, per, threads int, f func(i int)) {
	if per < minRange/4 {
		threads = 1
	}
	forEach(n, threadsOr(threads), f)
}

// minRange is the least work (elements of a streaming loop) worth a
// goroutine: below it forRanges runs f on the caller's goroutine alone.
const minRange = 1 << 15

// forRanges splits [0, n) into up to threads contiguous ranges, their
// bounds multiples of align, each holding at least minRange elements of
// work at cost elements per index, and calls f on each, on its own
// goroutine (the caller's for the first).
func forRanges(n, align, cost, threads int, f func(lo, hi int)) {
	parts := min(threads, n*cost/minRange, n/align)
	if parts <= 1 {
		f(0, n)
		return
	}
	bound := func(p int) int {
		if p == parts {
			return n
		}
		return p * n / parts / align * align
	}
	var wg sync.WaitGroup
	wg.Add(parts - 1)
	for p := 1; p < parts; p++ {
		go func(lo, hi int) {
			defer wg.Done()
			f(lo, hi)
		}(bound(p), bound(p+1))
	}
	f(0, bound(1))
	wg.Wait()
}

// parallelAdam is set by DisableTensorPool: Trainer.adamStep may then run
// the parameters' solvers on several goroutines.
var parallelAdam atomic.Bool

// DisableTensorPool switches off gorgonia/tensor's pool of *Dense headers
// for the whole process (tensor.DontUsePool) and lets every Trainer step
// its parameters' Adam solvers in parallel (one parameter per goroutine),
// which makes a step at two threads a few percent faster. The pool is not
// safe for that: AdamSolver.Step hands its temporaries back with
// tensor.ReturnTensor, which sends on a buffered channel after checking
// that it is not full (gorgonia.org/tensor v0.9.23, perf.go), so two
// goroutines passing the check with one free slot left block the second
// forever. Returning tensors only recycles headers, never their data, so
// the pool saves nothing measurable here; but it is process-wide state,
// which the library never changes by itself: without this call, Adam steps
// the parameters one after the other. Call it once, before training, in a
// program that owns the process (the pixelgraph CLI does).
func DisableTensorPool() {
	tensor.DontUsePool()
	parallelAdam.Store(true)
}
