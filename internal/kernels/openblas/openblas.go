//go:build cgo && openblas

package openblas

/*
#cgo LDFLAGS: -lopenblas
#include <cblas.h>
*/
import "C"

import "unsafe"

func init() { C.openblas_set_num_threads(1) }

// Name is "openblas <core>", the core openblas_get_corename reports (it
// follows OPENBLAS_CORETYPE when that is set).
func Name() string { return "openblas " + C.GoString(C.openblas_get_corename()) }

func trans(t bool) C.enum_CBLAS_TRANSPOSE {
	if t {
		return C.CblasTrans
	}
	return C.CblasNoTrans
}

// Sgemm is cblas_sgemm, row-major: c = alpha·op(a)·op(b) + beta·c with
// op(a) (m,k), op(b) (k,n); k > 0 and the slices hold what the sizes say
// (the caller checks).
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	C.cblas_sgemm(C.CblasRowMajor, trans(transA), trans(transB), C.blasint(m), C.blasint(n), C.blasint(k),
		C.float(alpha), (*C.float)(unsafe.Pointer(unsafe.SliceData(a))), C.blasint(lda),
		(*C.float)(unsafe.Pointer(unsafe.SliceData(b))), C.blasint(ldb),
		C.float(beta), (*C.float)(unsafe.Pointer(unsafe.SliceData(c))), C.blasint(ldc))
}
