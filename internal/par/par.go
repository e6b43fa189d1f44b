// Package par runs the same work function on several goroutines, the
// caller's included: the fan-out the runtime's chain and train's serial
// passes share (internal/kernels keeps its own, allocation-free one).
package par

import "sync"

// Do runs work on n goroutines, the caller's one of them, and returns when
// all have returned; n <= 1 runs it once, inline. work usually takes items
// from a shared atomic counter until none are left.
func Do(n int, work func()) {
	if n <= 1 {
		work()
		return
	}
	var wg sync.WaitGroup
	wg.Add(n - 1)
	for range n - 1 {
		go func() {
			defer wg.Done()
			work()
		}()
	}
	work()
	wg.Wait()
}
