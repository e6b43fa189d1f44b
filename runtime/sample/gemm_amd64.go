//go:build !purego

package sample

//go:noescape
func kern4x16(d *float32, ldd int, s *float32, lds int, w *float32, ldw int, k int)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv0() (eax uint32)

// hasAVX2FMA reports whether the CPU and OS support AVX2 and FMA.
var hasAVX2FMA = func() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, c, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if c&fma == 0 || c&osxsave == 0 || c&avx == 0 || xgetbv0()&6 != 6 {
		return false
	}
	_, b, _, _ := cpuid(7, 0)
	return b&(1<<5) != 0
}()

// gemmAcc adds src·w to dst: dst is (n, co), src is (n, ci), w is (ci, co).
// Blocks of 4 images × 16 output channels run in AVX2/FMA assembly; the
// edges (and CPUs without AVX2) use gemmAccGo.
func gemmAcc(dst, src, w []float32, n, ci, co int) {
	if !hasAVX2FMA || ci == 0 {
		gemmAccGo(dst, src, w, n, ci, co, 0)
		return
	}
	n4, co16 := n/4*4, co/16*16
	_ = dst[n*co-1]
	_ = src[n*ci-1]
	_ = w[ci*co-1]
	for i := 0; i < n4; i += 4 {
		for j := 0; j < co16; j += 16 {
			kern4x16(&dst[i*co+j], co, &src[i*ci], ci, &w[j], co, ci)
		}
	}
	if co16 < co {
		gemmAccGo(dst[:n4*co], src[:n4*ci], w, n4, ci, co, co16)
	}
	if n4 < n {
		gemmAccGo(dst[n4*co:], src[n4*ci:], w, n-n4, ci, co, 0)
	}
}
