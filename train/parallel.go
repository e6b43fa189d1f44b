package train

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/pixelgraph/pixelgraph/internal/par"
	"gorgonia.org/tensor"
)

// The serial parts of a step (everything outside the kernels' parallel
// convs: bias gradients, residual copies, chunk sums of dW, Adam) run on
// GOMAXPROCS goroutines through forEach and forRanges. Each output element
// is computed by one goroutine in the same order of operations whatever
// the split, so the results are bit-identical at any thread count.

// forEach calls f(i) for every i in [0, n) on up to GOMAXPROCS goroutines,
// the caller's included, handing out indices in increasing order.
func forEach(n int, f func(i int)) {
	var next atomic.Int64
	par.Do(min(runtime.GOMAXPROCS(0), n), func() { // one worker: inline
		for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
			f(i)
		}
	})
}

// minRange is the least work (elements of a streaming loop) worth a
// goroutine: below it forRanges runs f on the caller's goroutine alone.
const minRange = 1 << 15

// forRanges splits [0, n) into up to GOMAXPROCS contiguous ranges, their
// bounds multiples of align, each holding at least minRange elements of
// work at cost elements per index, and calls f on each, on its own
// goroutine (the caller's for the first).
func forRanges(n, align, cost int, f func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n*cost/minRange, n/align)
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

// Trainer.adamStep runs gorgonia's AdamSolver.Step on several goroutines.
// Step hands its temporaries back with tensor.ReturnTensor, which puts them
// into a buffered channel after checking that it is not full: two
// goroutines passing that check with one free slot left, the second send
// would block forever. Returning tensors only recycles *Dense headers (never
// their data), so the pool is switched off for the process.
func init() { tensor.DontUsePool() }
