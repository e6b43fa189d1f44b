//go:build !openblas

package kernels

// The default build: no OpenBLAS (see sgemm_openblas.go for the opt-in).

const openblasBuilt = false

// openblasOn is always false without the tag (a variable for the tests and
// benchmarks that switch it under the tag).
var openblasOn = false

func openblasName() string { panic("kernels: built without the openblas tag") }

func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("kernels: built without the openblas tag")
}
