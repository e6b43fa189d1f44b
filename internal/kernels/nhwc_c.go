//go:build cgo && !purego && amd64

package kernels

/*
#cgo CFLAGS: -O3
#include <immintrin.h>

// Direct convolution of channels-last (NHWC) images over the live taps, for
// CPUs with AVX-512F: no im2col and no packing of the activations. A tile of
// PG_R consecutive output pixels (raster order, possibly across output rows)
// by up to 64 output channels (NV vectors of 16) is held in 24 registers
// over the whole reduction: for each index k = (tap, input channel) the
// tile broadcasts one input value per pixel, read straight from the image
// (or from a zero row where the tap falls in the padding), and multiplies it
// by one row of the packed weight, (tap, c) → 64 output channels,
// contiguous, so the weight streams through in order. Each output is summed
// over k in increasing order, then the bias is added, then the old y
// (accumulate), then the ReLU: the same float32 operations as a Conv
// followed by an Add, whatever the band or the number of threads.
// (Measured on the seed model: blocking k so that the weight stays in L1,
// with partial sums in y, was ~8% slower.)
#define PG_R 6

static int pg_has_avx512(void) {
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("fma");
}

// pg_geo locates, for one tap (iy0, ix0) and input channel c0, the input row
// of each of the tile's pixels (oy, ox) given as oy[r], ox[r]; rows r >= n and
// taps in the padding read z (zeros).
static inline __attribute__((always_inline)) void pg_geo(const float **px, const float *x, long H, long W,
		long C, long sh, long sw, long iy0, long ix0, long c0, const long *oy, const long *ox, int n,
		const float *z) {
	for (int r = 0; r < PG_R; r++) {
		long iy = oy[r] * sh + iy0, ix = ox[r] * sw + ix0;
		px[r] = (r < n && iy >= 0 && iy < H && ix >= 0 && ix < W) ? x + (iy * W + ix) * C + c0 : z;
	}
}

static inline __attribute__((always_inline, target("avx512f,fma")))
void pg_dtile(const int NV, const int RELUIN, const float *x, long H, long W, long C, long sh, long sw,
		const long *tg, long k1, const float *w, long pw, const long *oy, const long *ox,
		const float *z, float *y, long ldy, int rows, __mmask16 lm, int accumulate,
		const float *bias, int relu) {
	__m512 acc[PG_R][4];
	const __m512 zero = _mm512_setzero_ps();
	for (int r = 0; r < PG_R; r++)
		for (int v = 0; v < NV; v++) acc[r][v] = zero;
	for (long k = 0; k < k1;) {
		long t = k / C, c0 = k - t * C, n = C - c0 < k1 - k ? C - c0 : k1 - k;
		const float *px[PG_R];
		pg_geo(px, x, H, W, C, sh, sw, tg[4 * t], tg[4 * t + 1], c0, oy, ox, rows, z);
		const float *p0 = px[0], *p1 = px[1], *p2 = px[2], *p3 = px[3], *p4 = px[4], *p5 = px[5];
		const float *wk = w + k * pw;
		for (long j = 0; j < n; j++, wk += pw) {
			__m512 wv[4];
			for (int v = 0; v < NV; v++) wv[v] = _mm512_loadu_ps(wk + 16 * v);
			// one broadcast live at a time (24 sums + 4 weights + 1 input = 29 registers);
			// MAXPS(0, v) keeps NaN as NaN
#define PG_ROW(r, pr) do { \
				__m512 a = _mm512_set1_ps(pr[j]); \
				if (RELUIN) a = _mm512_max_ps(zero, a); \
				for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(a, wv[v], acc[r][v]); \
			} while (0)
			PG_ROW(0, p0); PG_ROW(1, p1); PG_ROW(2, p2); PG_ROW(3, p3); PG_ROW(4, p4); PG_ROW(5, p5);
#undef PG_ROW
		}
		k += n;
	}
	for (int r = 0; r < PG_R && r < rows; r++) {
		for (int v = 0; v < NV; v++) {
			__mmask16 m = v == NV - 1 ? lm : 0xffff;
			__m512 s = acc[r][v];
			if (bias) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, bias + 16 * v));
			if (accumulate) s = _mm512_add_ps(s, _mm512_maskz_loadu_ps(m, y + r * ldy + 16 * v));
			if (relu) s = _mm512_max_ps(zero, s);
			_mm512_mask_storeu_ps(y + r * ldy + 16 * v, m, s);
		}
	}
}

#define PG_TILE(NV, RI) pg_dtile(NV, RI, x, H, W, C, sh, sw, tg, K, wp, pw, oy, ox, z, yt, O, rows, lm, accumulate, bo, relu)

// pg_direct computes output pixels [p0, p1) (raster order) of one image:
// y (OH·OW, O) = relu?((conv(relu?(x)) + bias) [+ y]), x (H, W, C), the packed
// weight wd in panels of 64 output channels, [panel][T·C][pw], pw = the
// panel's width rounded up to 16; tg holds iy0, ix0, lo, hi per tap (the plan's
// cgeo; lo and hi unused here); z holds C zeros.
__attribute__((target("avx512f,fma")))
static void pg_direct(const float *x, long H, long W, long C, float *y, long OW, long O,
		long p0, long p1, long sh, long sw, const float *wd, long T, const long *tg,
		const float *bias, int accumulate, int relu, int reluIn, const float *z) {
	long opad = (O + 15) & ~15L, K = T * C;
	for (long o0 = 0; o0 < opad; o0 += 64) {
		long pw = opad - o0 < 64 ? opad - o0 : 64;
		int nv = (int)(pw / 16);
		long rem = O - o0 - 16 * (nv - 1);
		__mmask16 lm = rem >= 16 ? 0xffff : (__mmask16)((1u << rem) - 1);
		const float *wp = wd + o0 * K;
		const float *bo = bias ? bias + o0 : 0;
		long oy0 = p0 / OW, ox0 = p0 - oy0 * OW;
		for (long p = p0; p < p1; p += PG_R) {
			int rows = p1 - p < PG_R ? (int)(p1 - p) : PG_R;
			long oy[PG_R], ox[PG_R];
			for (int r = 0; r < PG_R; r++) {
				oy[r] = oy0, ox[r] = ox0;
				if (++ox0 == OW) ox0 = 0, oy0++;
			}
			float *yt = y + p * O + o0;
			switch (nv * 2 + (reluIn != 0)) {
			case 2: PG_TILE(1, 0); break;
			case 3: PG_TILE(1, 1); break;
			case 4: PG_TILE(2, 0); break;
			case 5: PG_TILE(2, 1); break;
			case 6: PG_TILE(3, 0); break;
			case 7: PG_TILE(3, 1); break;
			case 8: PG_TILE(4, 0); break;
			default: PG_TILE(4, 1); break;
			}
		}
	}
}
*/
import "C"

import "unsafe"

var hasDirectAsm = C.pg_has_avx512() != 0

// directBand is the AVX-512 kernel for output pixels [p0, p1) of one image
// (callers check useAsm); see directBandGo for the definition.
func (pl *ConvPlan) directBand(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) {
	if p0 >= p1 {
		return
	}
	pr := &pl.p
	_ = x[pr.In*pr.H*pr.W-1]
	_ = y[pl.OH*pl.OW*pr.Out-1]
	_ = wd[pl.DirectPackedSize()-1]
	_ = zeros[pr.In-1]
	var bp *C.float
	if b != nil {
		_ = b[pr.Out-1]
		bp = fp(b)
	}
	C.pg_direct(fp(x), C.long(pr.H), C.long(pr.W), C.long(pr.In), fp(y), C.long(pl.OW), C.long(pr.Out),
		C.long(p0), C.long(p1), C.long(pl.sh), C.long(pl.sw), fp(wd), C.long(len(pl.taps)),
		(*C.long)(unsafe.Pointer(&pl.cgeo[0])), bp, cbool(f.Accumulate), cbool(f.ReluOut), cbool(f.ReluIn), fp(zeros))
}

func cbool(b bool) C.int {
	if b {
		return 1
	}
	return 0
}
