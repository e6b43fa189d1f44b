package peak

import (
	goruntime "runtime"
	"time"
)

// Result is a core's float32 multiply-add throughput as FMA measured it.
type Result struct {
	GFLOPS float64 // best rate over the repetitions, 2 flops per multiply-add lane
	Loop   string  // the loop that ran: "avx512-fma", "avx2-fma" or "go-scalar"
	Reps   int     // timed repetitions
}

// loop is one throughput loop: run does iters iterations of flopsPerIter
// floating-point operations each, and writes its summed accumulators (lanes
// lanes) to out.
type loop struct {
	name         string
	flopsPerIter int
	lanes        int
	run          func(iters int, out *[16]float32)
}

// FMA measures the peak float32 multiply-add rate of the core it runs on,
// for about d (at least 5 repetitions of about 2 ms each) with the widest
// loop the CPU has (see the package doc). The calling goroutine is locked
// to its OS thread meanwhile.
func FMA(d time.Duration) Result {
	goruntime.LockOSThread()
	defer goruntime.UnlockOSThread()
	l := best()
	var out [16]float32
	// Calibrate: iterations for one repetition of about 2 ms.
	iters := 1 << 10
	for {
		t0 := time.Now()
		l.run(iters, &out)
		if el := time.Since(t0); el >= time.Millisecond || iters >= 1<<30 {
			iters = max(1, int(float64(iters)*float64(2*time.Millisecond)/float64(max(el, 1))))
			break
		}
		iters *= 4
	}
	r := Result{Loop: l.name}
	var spent time.Duration
	for r.Reps < 5 || spent < d {
		t0 := time.Now()
		l.run(iters, &out)
		el := time.Since(t0)
		spent += el
		r.Reps++
		if g := float64(iters) * float64(l.flopsPerIter) / el.Seconds() / 1e9; g > r.GFLOPS {
			r.GFLOPS = g
		}
	}
	return r
}

// goScalar is the portable loop: eight independent float32 multiply-add
// chains a = a·1 + 1 (16 flops per iteration; the compiler emits a
// multiply and an add, or an FMA where the architecture has one).
var goScalar = loop{name: "go-scalar", flopsPerIter: 16, lanes: 1, run: func(iters int, out *[16]float32) {
	var a [8]float32
	m, c := float32(1), float32(1)
	for range iters {
		a[0] = a[0]*m + c
		a[1] = a[1]*m + c
		a[2] = a[2]*m + c
		a[3] = a[3]*m + c
		a[4] = a[4]*m + c
		a[5] = a[5]*m + c
		a[6] = a[6]*m + c
		a[7] = a[7]*m + c
	}
	out[0] = a[0] + a[1] + a[2] + a[3] + a[4] + a[5] + a[6] + a[7]
}}
