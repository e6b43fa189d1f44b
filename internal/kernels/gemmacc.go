package kernels

import "fmt"

// GemmAcc adds src·w to dst: dst is (n, co), src is (n, ci), w is (ci, co),
// all row-major and dense — the cached sampler's product for one position
// of a batch, too small for Sgemm's packing to pay. At the SIMD levels
// blocks of 4 rows × 16 columns run in assembly (AVX2); the edges, and the
// generic level, run gemmAccGo, which skips an input channel that is zero
// in a whole block (a ReLU output, a black pixel).
func GemmAcc(dst, src, w []float32, n, ci, co int) {
	if len(dst) < n*co || len(src) < n*ci || len(w) < ci*co {
		panic(fmt.Sprintf("kernels.GemmAcc: dst, src, w have %d, %d, %d elements; (n, ci, co) = (%d, %d, %d) needs %d, %d, %d",
			len(dst), len(src), len(w), n, ci, co, n*co, n*ci, ci*co))
	}
	if !simd() || ci == 0 {
		gemmAccGo(dst, src, w, n, ci, co, 0)
		return
	}
	n4, co16 := n/4*4, co/16*16
	for i := 0; i < n4; i += 4 {
		for j := 0; j < co16; j += 16 {
			gemmAccSIMD(dst[i*co+j:], co, src[i*ci:], ci, w[j:], co, ci)
		}
	}
	if co16 < co {
		gemmAccGo(dst[:n4*co], src[:n4*ci], w, n4, ci, co, co16)
	}
	if n4 < n {
		gemmAccGo(dst[n4*co:], src[n4*ci:], w, n-n4, ci, co, 0)
	}
}

// gemmAccGo adds src·w to dst for output channels j0..co−1 of n images:
// dst is (n, co), src is (n, ci), w is (ci, co). Images go in blocks of four
// so that each weight row is loaded once per block; an input channel that
// is zero in the whole block is skipped.
func gemmAccGo(dst, src, w []float32, n, ci, co, j0 int) {
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := dst[(i+0)*co+j0 : (i+1)*co]
		d1 := dst[(i+1)*co+j0 : (i+2)*co]
		d2 := dst[(i+2)*co+j0 : (i+3)*co]
		d3 := dst[(i+3)*co+j0 : (i+4)*co]
		s0 := src[(i+0)*ci : (i+1)*ci]
		s1 := src[(i+1)*ci : (i+2)*ci]
		s2 := src[(i+2)*ci : (i+3)*ci]
		s3 := src[(i+3)*ci : (i+4)*ci]
		for k := 0; k < ci; k++ {
			a0, a1, a2, a3 := s0[k], s1[k], s2[k], s3[k]
			if a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0 {
				continue
			}
			wk := w[k*co+j0 : (k+1)*co]
			d0, d1, d2, d3 := d0[:len(wk)], d1[:len(wk)], d2[:len(wk)], d3[:len(wk)]
			for j, v := range wk {
				d0[j] += a0 * v
				d1[j] += a1 * v
				d2[j] += a2 * v
				d3[j] += a3 * v
			}
		}
	}
	for ; i < n; i++ {
		d := dst[i*co+j0 : (i+1)*co]
		s := src[i*ci : (i+1)*ci]
		for k, a := range s {
			if a == 0 {
				continue
			}
			wk := w[k*co+j0 : (k+1)*co]
			d := d[:len(wk)]
			for j, v := range wk {
				d[j] += a * v
			}
		}
	}
}
