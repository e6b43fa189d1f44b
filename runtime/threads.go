package runtime

import goruntime "runtime"

// Options control Compile. The zero value is the default.
type Options struct {
	// Threads caps the goroutines of one Run (batch chunks, bands of a conv,
	// SGEMM panels); 0 means GOMAXPROCS. The package keeps no thread
	// setting of its own: this is the one knob.
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
	return goruntime.GOMAXPROCS(0)
}
