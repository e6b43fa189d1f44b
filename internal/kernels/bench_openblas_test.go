//go:build openblas

package kernels

import (
	"fmt"
	"runtime"
	"slices"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// threadCPU is the CPU time of the calling OS thread (lock it first).
func threadCPU() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// BenchmarkSgemmVsOpenBLAS alternates this package's SGEMM at each SIMD
// level with OpenBLAS, call by call on one locked thread, and reports each
// one's median GFLOP/s per CPU second of the thread and the median of the
// per-pair ratios (ours / OpenBLAS): on a machine shared with other jobs
// both see the same load, so the ratio is the figure to quote; ratio-best
// divides each one's best run (the least disturbed).
//
//	go test -tags openblas -run '^$' -bench SgemmVsOpenBLAS ./internal/kernels/   # OPENBLAS_CORETYPE=Haswell
func BenchmarkSgemmVsOpenBLAS(b *testing.B) {
	type shape struct {
		m, n, k int
		transB  bool
	}
	var shapes []shape
	for _, s := range sgemmShapes {
		shapes = append(shapes, shape{s[0], s[1], s[2], false})
	}
	for _, s := range dwShapes {
		shapes = append(shapes, shape{s[0], s[1], s[2], true})
	}
	for _, s := range shapes {
		m, n, k := s.m, s.n, s.k
		ldb, tr := n, "NN"
		if s.transB {
			ldb, tr = k, "NT"
		}
		for _, l := range levels() {
			if l == levelGeneric {
				continue
			}
			b.Run(fmt.Sprintf("%s/%dx%dx%d/%s", tr, m, n, k, l), func(b *testing.B) {
				defer setLevel(l)()
				old := openblasOn
				defer func() { openblasOn = old }()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				a, bb, c := randSlice(1, m*k), randSlice(2, k*n), make([]float32, m*n)
				var ours, blas, ratio []float64
				flop := 2 * float64(m*n*k)
				run := func(on bool) float64 {
					openblasOn = on
					t0 := threadCPU()
					Sgemm(1, false, s.transB, m, n, k, 1, a, k, bb, ldb, 0, c, n)
					return (threadCPU() - t0).Seconds()
				}
				run(false)
				run(true)
				for b.Loop() {
					o, p := run(false), run(true)
					if o > 0 && p > 0 {
						ours, blas, ratio = append(ours, flop/o/1e9), append(blas, flop/p/1e9), append(ratio, p/o)
					}
				}
				if len(ratio) > 0 {
					b.ReportMetric(median(ours), l.String()+"-GFLOP/s")
					b.ReportMetric(median(blas), "openblas-GFLOP/s")
					b.ReportMetric(median(ratio), "ratio")
					b.ReportMetric(slices.Min(ratio), "ratio-min")
					b.ReportMetric(slices.Max(ratio), "ratio-max")
					// best of each: the runs least disturbed by other jobs
					b.ReportMetric(slices.Max(ours)/slices.Max(blas), "ratio-best")
				}
			})
		}
	}
}

// dwShapes are (m, n, k) of Backward's weight-gradient products on one
// 28x28 image, dy (O, pixels) · colᵀ (pixels, C·T): the seed model's 7x7
// mask A, 1x1 128→64, 3x3 mask B and 1x1 64→128.
var dwShapes = [][3]int{{128, 24, 784}, {64, 128, 784}, {64, 320, 784}, {128, 64, 784}}

func median(x []float64) float64 {
	s := slices.Sorted(slices.Values(x))
	return s[len(s)/2]
}
