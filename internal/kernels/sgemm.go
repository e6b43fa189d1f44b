package kernels

import (
	"fmt"
	"runtime"
	"sync"
)

// threadsOr resolves a thread budget: n, or GOMAXPROCS when n < 1. The
// package keeps no thread setting of its own: every call is given its
// budget (Sgemm's threads, Workspace.Threads). Under the openblas build
// tag OpenBLAS itself is kept at one thread per call
// (openblas_set_num_threads(1), process-wide): the parallelism is ours, so
// that goroutines and BLAS threads never oversubscribe the cores.
func threadsOr(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Backend names the SGEMM implementation in force: "avx512" or "avx2" (this
// package's blocked SGEMM, see sgemm_blocked.go), "gonum (pure Go)" at the
// generic level, or, built with the openblas tag, "openblas <core>" (the
// core openblas_get_corename reports).
func Backend() string {
	switch {
	case openblasOn:
		return openblasName()
	case simd():
		return curLevel().String()
	}
	return "gonum (pure Go)"
}

// sgemm is the unchecked, single-threaded product; see Sgemm. With k == 0
// it only scales c (a and b may be empty).
func sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmWith(nil, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmWith is sgemm packing into bufs (nil: a pooled pair), so that
// Forward and Backward allocate nothing in steady state.
func sgemmWith(bufs *gemmBufs, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	switch {
	case m == 0 || n == 0:
	case k == 0:
		ScaleRows(c, m, n, ldc, beta)
	case openblasOn:
		sgemmOpenBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	case simd():
		sgemmBlocked(bufs, transA, transB, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	default:
		sgemmGonum(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
	}
}

// Sgemm computes c = alpha·op(a)·op(b) + beta·c for row-major matrices, as
// BLAS's sgemm: op(a) is (m,k), op(b) is (k,n), c is (m,n); a is (m,lda) or,
// transposed, (k,lda); lda, ldb, ldc are row strides. With beta == 0, c is
// not read (NaNs in it do not propagate). Large products are split by
// columns across up to threads goroutines (threads < 1: GOMAXPROCS). Bad
// sizes panic, as in gonum's blas.
func Sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkGemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	if m == 0 || n == 0 {
		return
	}
	t := threadsOr(threads)
	const minFlopsPerThread = 1 << 22 // below ~4 MFLOP a goroutine costs more than it saves
	if t > 1 && 2*m*n*k >= t*minFlopsPerThread && n >= 32*t {
		sgemmColumns(t, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmColumns splits c's columns into t panels, one goroutine each.
func sgemmColumns(t int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	step := (n + t - 1) / t
	step = (step + 15) &^ 15 // whole vector registers per panel
	var wg sync.WaitGroup
	for j0 := 0; j0 < n; j0 += step {
		nj := min(step, n-j0)
		bj := b[j0:] // op(b)[:, j0:] starts at column j0 ...
		if transB {
			bj = b[j0*ldb:] // ... or, for bᵀ, at row j0 of b
		}
		wg.Add(1)
		go func(cj, bj []float32, nj int) {
			defer wg.Done()
			sgemm(transA, transB, m, nj, k, alpha, a, lda, bj, ldb, beta, cj, ldc)
		}(c[j0:], bj, nj)
	}
	wg.Wait()
}

// checkGemm panics unless the slices hold the matrices their sizes say.
func checkGemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels.Sgemm: negative size m=%d n=%d k=%d", m, n, k))
	}
	ar, ac := m, k
	if transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if transB {
		br, bc = n, k
	}
	check := func(name string, s []float32, rows, cols, ld int) {
		if ld < max(1, cols) {
			panic(fmt.Sprintf("kernels.Sgemm: ld%s = %d < %d columns", name, ld, cols))
		}
		if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
			panic(fmt.Sprintf("kernels.Sgemm: %s has %d elements, (%d,%d) with stride %d needs %d",
				name, len(s), rows, cols, ld, (rows-1)*ld+cols))
		}
	}
	check("a", a, ar, ac, lda)
	check("b", b, br, bc, ldb)
	check("c", c, m, n, ldc)
}
