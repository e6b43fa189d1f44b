//go:build cgo && !purego

package runtime

/*
#cgo CFLAGS: -O3
// gcc vectorizes this loop (AVX-512 or AVX2, picked at load time); y may
// alias a or b, which gcc checks before taking the vector path.
__attribute__((target_clones("avx512f", "avx2", "default")))
static void pg_add3(float *y, const float *a, const float *b, long n) {
	for (long i = 0; i < n; i++) y[i] = a[i] + b[i];
}
// (v < 0 ? 0 : v) is MAXPS(0, v): NaN stays NaN, as ONNX Relu.
__attribute__((target_clones("avx512f", "avx2", "default")))
static void pg_add3_relu(float *y, float *r, const float *a, const float *b, long n) {
	for (long i = 0; i < n; i++) { float v = a[i] + b[i]; y[i] = v; r[i] = v < 0 ? 0 : v; }
}
*/
import "C"

import "unsafe"

// addF32 sets y = a + b elementwise (a and b at least len(y) long); y may be
// a or b. The chain's residual Add: once per block over data in L2.
func addF32(y, a, b []float32) {
	if len(y) < 64 { // below this a cgo call (~40 ns) costs more than the loop
		addF32Go(y, a, b)
		return
	}
	a, b = a[:len(y)], b[:len(y)]
	C.pg_add3((*C.float)(unsafe.Pointer(&y[0])), (*C.float)(unsafe.Pointer(&a[0])),
		(*C.float)(unsafe.Pointer(&b[0])), C.long(len(y)))
}

// addReluF32 sets y = a + b and r = max(y, 0) elementwise in one pass; y and
// r may each be a or b (not the same one).
func addReluF32(y, r, a, b []float32) {
	if len(y) < 64 {
		addReluF32Go(y, r, a, b)
		return
	}
	r, a, b = r[:len(y)], a[:len(y)], b[:len(y)]
	C.pg_add3_relu((*C.float)(unsafe.Pointer(&y[0])), (*C.float)(unsafe.Pointer(&r[0])),
		(*C.float)(unsafe.Pointer(&a[0])), (*C.float)(unsafe.Pointer(&b[0])), C.long(len(y)))
}
