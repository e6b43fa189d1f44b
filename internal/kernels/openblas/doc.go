// Package openblas calls OpenBLAS's cblas_sgemm, for package kernels built
// with the opt-in tag openblas (cgo and Debian's libopenblas-dev needed):
//
//	go test -tags openblas ./internal/kernels/
//
// Without the tag this package is empty and nothing links OpenBLAS: the
// default build needs no system library. It is its own package because Go
// assembly (package kernels') and cgo cannot share one.
//
// Invariants: OpenBLAS runs one thread per call (openblas_set_num_threads(1)
// when the package loads, process-wide): the callers' goroutines are the
// parallelism, so the two never oversubscribe the cores.
package openblas
