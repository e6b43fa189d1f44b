package kernels

import "sync"

// Workspace holds the scratch memory of Forward and Backward: one im2col
// panel and one partial weight gradient per worker goroutine. Buffers grow
// to the largest plan seen and are then reused, so calls in steady state do
// not allocate. The zero value is ready; a Workspace serves one call at a
// time (use one per concurrent caller).
type Workspace struct {
	// Threads caps the goroutines of calls using this workspace; 0 means
	// GOMAXPROCS. Callers that already run one workspace per goroutine (a
	// batch split at the graph level) set 1.
	Threads int

	workers []workerBuf
	fwd     fwdJob
	nhwc    nhwcJob
	zeros   []float32 // never written: the padding row of the direct kernel
	apack   []float32 // the weight packed for packedGemm (Forward: wp; Backward: wpᵀ), per call
	bwd     bwdJob
}

type workerBuf struct {
	col  []float32 // im2col panel (K, cols) or relu(x) panel (C, cols)
	dcol []float32 // gradient of col
	dw   []float32 // weight gradient this worker sums into (O, K) during Backward
	db   []float32 // bias gradient this worker sums into (O) during Backward
	dw0  []float32 // owned storage for dw of workers > 0
	db0  []float32 // owned storage for db
	gemm gemmBufs  // packing buffers of sgemm (Backward's dw)
}

// worker returns worker i's buffers, adding slots up to i. Call it for the
// highest worker before starting goroutines: adding slots moves them.
func (ws *Workspace) worker(i int) *workerBuf {
	for len(ws.workers) <= i {
		ws.workers = append(ws.workers, workerBuf{})
	}
	return &ws.workers[i]
}

// threads is the number of goroutines a call with ws may use.
func (ws *Workspace) threads() int {
	return threadsOr(ws.Threads)
}

// job is one batch of independent units of work; run(w, u) does unit u on
// worker w's buffers.
type job interface{ run(w, u int) }

// parallelFor runs units 0..units-1 of j on up to workers goroutines, each
// taking the next unit until none are left. With one worker it runs inline
// and allocates nothing.
func parallelFor(units, workers int, j job) {
	workers = min(workers, units)
	if workers <= 1 {
		for u := 0; u < units; u++ {
			j.run(0, u)
		}
		return
	}
	var (
		mu   sync.Mutex
		next int
		wg   sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				u := next
				next++
				mu.Unlock()
				if u >= units {
					return
				}
				j.run(w, u)
			}
		}()
	}
	wg.Wait()
}
