package kernels

// gemmMR is the row panel height of a packed left operand.
const gemmMR = 8

// packA packs op(a), (m,k) with a (m,lda) or, transposed, (k,lda), into
// dst as panels of 8 rows, [⌈m/8⌉][k][8], zero-padded.
func packA(dst, a []float32, trans bool, m, k, lda int) []float32 {
	dst = grow(dst, (m+gemmMR-1)/gemmMR*gemmMR*k)
	i := 0
	for i0 := 0; i0 < m; i0 += gemmMR {
		for kk := 0; kk < k; kk++ {
			for r := i0; r < i0+gemmMR; r++ {
				v := float32(0)
				if r < m {
					if trans {
						v = a[kk*lda+r]
					} else {
						v = a[r*lda+kk]
					}
				}
				dst[i] = v
				i++
			}
		}
	}
	return dst
}
