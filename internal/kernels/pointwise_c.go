//go:build cgo && !purego

package kernels

/*
#cgo CFLAGS: -O3
// Written so that gcc vectorizes them; target_clones picks AVX-512 or AVX2
// at load time where the CPU has them. (v < 0 ? 0 : v) is MAXPS(0, v):
// NaN stays NaN, as in the Go versions.
#define PG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

PG_CLONES static void pg_relu(float *restrict d, const float *restrict s, long n) {
	for (long i = 0; i < n; i++) { float v = s[i]; d[i] = v < 0 ? 0 : v; }
}
PG_CLONES static void pg_relu_inplace(float *d, long n) {
	for (long i = 0; i < n; i++) { float v = d[i]; d[i] = v < 0 ? 0 : v; }
}
PG_CLONES static void pg_add(float *restrict d, const float *restrict s, long n) {
	for (long i = 0; i < n; i++) d[i] += s[i];
}
PG_CLONES static void pg_relu_grad(float *dx, const float *dy, const float *x, long n) {
	for (long i = 0; i < n; i++) dx[i] = x[i] > 0 ? dy[i] : 0;
}
PG_CLONES static void pg_bias_relu(float *y, long m, long n, long ld, const float *b, int relu) {
	for (long i = 0; i < m; i++) {
		float *restrict r = y + i * ld;
		float bi = b ? b[i] : 0;
		if (relu) {
			for (long j = 0; j < n; j++) { float v = r[j] + bi; r[j] = v < 0 ? 0 : v; }
		} else if (b) {
			for (long j = 0; j < n; j++) r[j] += bi;
		}
	}
}
*/
import "C"

import "unsafe"

// cgoMin is the length below which the Go loop beats a cgo call (~40 ns).
const cgoMin = 256

func fp(s []float32) *C.float { return (*C.float)(unsafe.Pointer(unsafe.SliceData(s))) }

func reluCopy(dst, src []float32) {
	if len(src) < cgoMin {
		reluGo(dst, src)
		return
	}
	dst = dst[:len(src)]
	if &dst[0] == &src[0] {
		C.pg_relu_inplace(fp(dst), C.long(len(dst)))
		return
	}
	C.pg_relu(fp(dst), fp(src), C.long(len(src)))
}

func addTo(dst, src []float32) {
	if len(src) < cgoMin {
		addGo(dst, src)
		return
	}
	dst = dst[:len(src)]
	C.pg_add(fp(dst), fp(src), C.long(len(src)))
}

func reluGrad(dx, dy, x []float32) {
	if len(x) < cgoMin {
		reluGradGo(dx, dy, x)
		return
	}
	dx, dy = dx[:len(x)], dy[:len(x)]
	C.pg_relu_grad(fp(dx), fp(dy), fp(x), C.long(len(x)))
}

func biasRelu(y []float32, m, n, ld int, b []float32, relu bool) {
	if m == 0 || n == 0 || (b == nil && !relu) {
		return
	}
	if m*n < cgoMin {
		biasReluGo(y, m, n, ld, b, relu)
		return
	}
	_ = y[(m-1)*ld+n-1]
	var bp *C.float
	if b != nil {
		_ = b[m-1]
		bp = fp(b)
	}
	r := C.int(0)
	if relu {
		r = 1
	}
	C.pg_bias_relu(fp(y), C.long(m), C.long(n), C.long(ld), bp, r)
}
