//go:build cgo && !purego && amd64

package kernels

/*
#cgo CFLAGS: -O3
#include <immintrin.h>

// A GEMM for CPUs with AVX-512F whose left operand is packed once per call
// of Forward or Backward (the weight, small) and whose right operand is read
// in place (the activations, large: OpenBLAS would copy them into its own
// panels on every call), with the conv epilogue fused: c (m,n) =
// relu?((a·relu?(b) [+ c]) + bias). A tile of 8 rows by 48 columns lives in
// 24 registers over the whole reduction; each c is summed over k in
// increasing order, whatever the split of columns between threads.
#define PG_MR 8

static inline __attribute__((always_inline, target("avx512f,fma")))
void pg_gtile(const int RELUB, long k, const float *restrict ap, const float *restrict b, long ldb,
		float *restrict c, long ldc, long mr, __mmask16 m0, __mmask16 m1, __mmask16 m2,
		const float *bias, int acc, int relu) {
	__m512 c0[PG_MR], c1[PG_MR], c2[PG_MR];
	const __m512 z = _mm512_setzero_ps();
	for (int r = 0; r < PG_MR; r++) c0[r] = c1[r] = c2[r] = z;
	for (long kk = 0; kk < k; kk++) {
		const float *bk = b + kk * ldb;
		__m512 b0 = _mm512_maskz_loadu_ps(m0, bk);
		__m512 b1 = _mm512_maskz_loadu_ps(m1, bk + 16);
		__m512 b2 = _mm512_maskz_loadu_ps(m2, bk + 32);
		if (RELUB) { b0 = _mm512_max_ps(z, b0); b1 = _mm512_max_ps(z, b1); b2 = _mm512_max_ps(z, b2); }
		const float *a = ap + kk * PG_MR;
		for (int r = 0; r < PG_MR; r++) {
			__m512 av = _mm512_set1_ps(a[r]);
			c0[r] = _mm512_fmadd_ps(av, b0, c0[r]);
			c1[r] = _mm512_fmadd_ps(av, b1, c1[r]);
			c2[r] = _mm512_fmadd_ps(av, b2, c2[r]);
		}
	}
	for (int r = 0; r < PG_MR && r < mr; r++) {
		float *cr = c + r * ldc;
		__m512 v0 = c0[r], v1 = c1[r], v2 = c2[r];
		if (acc) {
			v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, cr));
			v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, cr + 16));
			v2 = _mm512_add_ps(v2, _mm512_maskz_loadu_ps(m2, cr + 32));
		}
		if (bias) {
			__m512 bv = _mm512_set1_ps(bias[r]);
			v0 = _mm512_add_ps(v0, bv); v1 = _mm512_add_ps(v1, bv); v2 = _mm512_add_ps(v2, bv);
		}
		if (relu) { v0 = _mm512_max_ps(z, v0); v1 = _mm512_max_ps(z, v1); v2 = _mm512_max_ps(z, v2); }
		_mm512_mask_storeu_ps(cr, m0, v0);
		_mm512_mask_storeu_ps(cr + 16, m1, v1);
		_mm512_mask_storeu_ps(cr + 32, m2, v2);
	}
}

// pg_gemm: ap is packed by packA (Go), [ceil(m/8)][k][8].
__attribute__((target("avx512f,fma")))
static void pg_gemm(long m, long n, long k, const float *ap, const float *b, long ldb,
		float *c, long ldc, const float *bias, int acc, int relu, int reluB) {
	for (long j0 = 0; j0 < n; j0 += 48) {
		long nr = n - j0 < 48 ? n - j0 : 48;
		__mmask16 m0 = nr >= 16 ? 0xffff : (__mmask16)((1u << nr) - 1);
		__mmask16 m1 = nr >= 32 ? 0xffff : nr <= 16 ? 0 : (__mmask16)((1u << (nr - 16)) - 1);
		__mmask16 m2 = nr >= 48 ? 0xffff : nr <= 32 ? 0 : (__mmask16)((1u << (nr - 32)) - 1);
		for (long i0 = 0; i0 < m; i0 += PG_MR) {
			long mr = m - i0 < PG_MR ? m - i0 : PG_MR;
			const float *bo = bias ? bias + i0 : 0;
			if (reluB) pg_gtile(1, k, ap + i0 * k, b + j0, ldb, c + i0 * ldc + j0, ldc, mr, m0, m1, m2, bo, acc, relu);
			else pg_gtile(0, k, ap + i0 * k, b + j0, ldb, c + i0 * ldc + j0, ldc, mr, m0, m1, m2, bo, acc, relu);
		}
	}
}
*/
import "C"

// packedGemm computes c (m,n; ldc) = relu?((ap·relu?(b) [+ c]) + bias) for
// ap from packA and b (k,n; ldb) row-major (callers check useAsm).
func packedGemm(m, n, k int, ap, b []float32, ldb int, c []float32, ldc int, bias []float32, acc, relu, reluB bool) {
	if m == 0 || n == 0 {
		return
	}
	_ = ap[(m+gemmMR-1)/gemmMR*gemmMR*k-1]
	_ = c[(m-1)*ldc+n-1]
	if k > 0 {
		_ = b[(k-1)*ldb+n-1]
	}
	var bp *C.float
	if bias != nil {
		_ = bias[m-1]
		bp = fp(bias)
	}
	bb := fp(ap) // any valid pointer when k == 0: b is not read
	if k > 0 {
		bb = fp(b)
	}
	C.pg_gemm(C.long(m), C.long(n), C.long(k), fp(ap), bb, C.long(ldb), fp(c), C.long(ldc), bp,
		cbool(acc), cbool(relu), cbool(reluB))
}
