//go:build cgo && !purego

package kernels

/*
#cgo CFLAGS: -O3
// Stride-1 gather and scatter over live taps; see im2colGo and col2imGo for
// the definition. g holds 4 ints per tap: iy0, ix0, lo, hi.
#define PG_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))

PG_CLONES static void pg_im2col_s1(float *restrict col, const float *restrict x, long C, long H, long W,
		long ow, long r0, long r1, long ntaps, const long *g, int relu) {
	long ld = (r1 - r0) * ow;
	float *dst = col;
	for (long c = 0; c < C; c++) {
		const float *xc = x + c * H * W;
		for (long t = 0; t < ntaps; t++, dst += ld) {
			long iy0 = g[4*t], ix0 = g[4*t+1], lo = g[4*t+2], hi = g[4*t+3];
			for (long oy = r0; oy < r1; oy++) {
				float *restrict d = dst + (oy - r0) * ow;
				long iy = oy + iy0;
				if (iy < 0 || iy >= H || lo == hi) {
					for (long j = 0; j < ow; j++) d[j] = 0;
					continue;
				}
				const float *s = xc + iy * W + ix0;
				for (long j = 0; j < lo; j++) d[j] = 0;
				if (relu) {
					for (long j = lo; j < hi; j++) { float v = s[j]; d[j] = v < 0 ? 0 : v; }
				} else {
					for (long j = lo; j < hi; j++) d[j] = s[j];
				}
				for (long j = hi; j < ow; j++) d[j] = 0;
			}
		}
	}
}

PG_CLONES static void pg_col2im_s1(float *restrict dx, const float *restrict dcol, long C, long H, long W,
		long ow, long r0, long r1, long ntaps, const long *g) {
	long ld = (r1 - r0) * ow;
	const float *src = dcol;
	for (long c = 0; c < C; c++) {
		float *xc = dx + c * H * W;
		for (long t = 0; t < ntaps; t++, src += ld) {
			long iy0 = g[4*t], ix0 = g[4*t+1], lo = g[4*t+2], hi = g[4*t+3];
			for (long oy = r0; oy < r1; oy++) {
				long iy = oy + iy0;
				if (iy < 0 || iy >= H) continue;
				const float *s = src + (oy - r0) * ow;
				float *d = xc + iy * W + ix0;
				for (long j = lo; j < hi; j++) d[j] += s[j];
			}
		}
	}
}
*/
import "C"

import "unsafe"

// geo returns the taps' geometry as C's 4 longs per tap (pl.cgeo).
func (pl *ConvPlan) geo() *C.long {
	if len(pl.cgeo) == 0 {
		return nil
	}
	return (*C.long)(unsafe.Pointer(&pl.cgeo[0]))
}

func (pl *ConvPlan) im2col(col, x []float32, r0, r1 int, relu bool) {
	if pl.sh != 1 || pl.sw != 1 || len(pl.taps) == 0 {
		pl.im2colGo(col, x, r0, r1, relu)
		return
	}
	_ = col[pl.K*(r1-r0)*pl.OW-1]
	_ = x[pl.XSize()-1]
	r := C.int(0)
	if relu {
		r = 1
	}
	C.pg_im2col_s1(fp(col), fp(x), C.long(pl.p.In), C.long(pl.p.H), C.long(pl.p.W), C.long(pl.OW),
		C.long(r0), C.long(r1), C.long(len(pl.taps)), pl.geo(), r)
}

func (pl *ConvPlan) col2im(dx, dcol []float32, r0, r1 int) {
	if pl.sh != 1 || pl.sw != 1 || len(pl.taps) == 0 {
		pl.col2imGo(dx, dcol, r0, r1)
		return
	}
	_ = dcol[pl.K*(r1-r0)*pl.OW-1]
	_ = dx[pl.XSize()-1]
	C.pg_col2im_s1(fp(dx), fp(dcol), C.long(pl.p.In), C.long(pl.p.H), C.long(pl.p.W), C.long(pl.OW),
		C.long(r0), C.long(r1), C.long(len(pl.taps)), pl.geo())
}

// cgeo is []int64 (shared code); C's long must be 64 bits to alias it.
var (
	_ [8 - unsafe.Sizeof(C.long(0))]struct{}
	_ [unsafe.Sizeof(C.long(0)) - 8]struct{}
)
