//go:build openblas

package kernels

import "github.com/pixelgraph/pixelgraph/internal/kernels/openblas"

// Built with the opt-in tag openblas, Sgemm (and Backward's weight
// gradient, and Forward at the generic level) calls OpenBLAS instead of
// this package's SGEMM, so that benchmarks compare the two; the conv
// kernels stay ours.

const openblasBuilt = true

// openblasOn makes Sgemm call OpenBLAS; tests and benchmarks switch it off
// to reach this package's SGEMM in the same binary.
var openblasOn = true

func openblasName() string { return openblas.Name() }

func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	openblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
