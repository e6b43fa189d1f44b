package runtime

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"

	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// This file is the one place that calls a BLAS: float32 products go to the
// shared kernels' Sgemm (their blocked SGEMM in assembly, or gonum's at the
// generic level; parallel over the run's threads); float64 ones
// to gonum.

var blasImpl gonum.Implementation // pure Go; parallel for large matrices

// sgemm computes, on up to threads goroutines, C = alpha·op(A)·op(B) + beta·C for row-major float32
// matrices: op(A) is (m,k), op(B) is (k,n), C is (m,n); lda, ldb, ldc are
// row strides; transA/transB select op(X) = Xᵀ. Accumulates in float32.
// With k = 0 it only scales C (kernels.Sgemm never reads A or B then).
func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	kernels.Sgemm(threads, transA, transB, m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
}

// dgemm is sgemm for float64.
func dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 {
		kernels.ScaleRows(c, m, n, ldc, beta)
		return
	}
	blasImpl.Dgemm(trans(transA), trans(transB), m, n, k, alpha, a, max(lda, 1), b, max(ldb, 1), beta, c, max(ldc, 1))
}

func trans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// gemmT dispatches to sgemm (on threads goroutines) or dgemm by element
// type.
func gemmT[T float32 | float64](threads int, transA, transB bool, m, n, k int, alpha T, a []T, lda int, b []T, ldb int, beta T, c []T, ldc int) {
	switch a := any(a).(type) {
	case []float32:
		sgemm(threads, transA, transB, m, n, k, float32(alpha), a, lda, any(b).([]float32), ldb, float32(beta), any(c).([]float32), ldc)
	case []float64:
		dgemm(transA, transB, m, n, k, float64(alpha), a, lda, any(b).([]float64), ldb, float64(beta), any(c).([]float64), ldc)
	}
}

// igemm is the integer matrix product C = A·B (+ C) with wraparound by wrap.
func igemm(transA, transB bool, m, n, k int, a []int64, lda int, b []int64, ldb int, c []int64, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s int64
			for p := 0; p < k; p++ {
				var x, y int64
				if transA {
					x = a[p*lda+i]
				} else {
					x = a[i*lda+p]
				}
				if transB {
					y = b[j*ldb+p]
				} else {
					y = b[p*ldb+j]
				}
				s += x * y
			}
			c[i*ldc+j] += s
		}
	}
}
