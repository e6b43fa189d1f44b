package runtime

import (
	goruntime "runtime"
	"sync/atomic"

	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// threads is the package's goroutine budget per Run; 0 means GOMAXPROCS.
var threads atomic.Int32

// SetThreads sets how many goroutines a Run may keep busy (batch chunks,
// bands of a conv, SGEMM panels); n < 1 restores the default,
// runtime.GOMAXPROCS(0). It also sets the shared kernels' budget
// (kernels.SetThreads), which the generic Gemm, MatMul and Conv use.
// Options.Threads overrides it for one Program.
func SetThreads(n int) {
	if n < 1 {
		n = 0
	}
	threads.Store(int32(n))
	kernels.SetThreads(n)
}

// Threads returns the package's thread setting resolved: SetThreads's value,
// or runtime.GOMAXPROCS(0).
func Threads() int {
	if n := int(threads.Load()); n > 0 {
		return n
	}
	return goruntime.GOMAXPROCS(0)
}

// Options control Compile. The zero value is the default.
type Options struct {
	// Threads caps the goroutines of one Run; 0 means Threads().
	Threads int
	// NoFusion runs every Relu and Add as its own pass instead of fusing it
	// into a neighbouring Conv. Fusion is exact, so results are identical;
	// the option exists to check that and to measure what fusion saves.
	NoFusion bool
	// NoDirect keeps the chain's activations NCHW with im2col + SGEMM convs
	// (kernels.Forward) on CPUs where the direct channels-last kernel
	// (kernels.ForwardNHWC, AVX-512) would run. Results agree to float32
	// rounding, not bit for bit: the sums run in another order.
	NoDirect bool
}

// threads resolves o.Threads.
func (o Options) threads() int {
	if o.Threads > 0 {
		return o.Threads
	}
	return Threads()
}
