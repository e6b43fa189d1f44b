package kernels

// Packing for the assembly GEMM strips: the left operand in panels of
// gemmMR (or, blocked SGEMM at AVX2, gemmMR2) rows, the right one (SGEMM
// only) in panels of the strip's width, each panel [k][width] so that the
// strip reads it in order.

// packA packs op(a), (m,k) with a (m,lda) or, transposed, (k,lda), into
// dst as panels of 8 rows, [⌈m/8⌉][k][8], zero-padded.
func packA(dst, a []float32, trans bool, m, k, lda int) []float32 {
	return packPanels(dst, a, trans, false, 0, m, 0, k, lda, gemmMR)
}

// packPanels packs rows [r0, r0+rows) × columns [c0, c0+cols) of a matrix M
// into dst as panels of w rows, dst[p·cols·w + kk·w + i] = M[r0+p·w+i,
// c0+kk], the last panel zero-padded. M is x (rows ld apart) or, with xT,
// xᵀ; with relu, max(M, 0) is packed (NaN stays NaN). dst is reused when it
// has the capacity.
func packPanels(dst, x []float32, xT, relu bool, r0, rows, c0, cols, ld, w int) []float32 {
	np := (rows + w - 1) / w
	// transposeSIMD of 6 rows writes 2 values past a panel's end: into the
	// next panel, written after it, or into 2 floats of room past the last
	// (none for an empty matrix: dst stays as it is, nil if nil)
	const room = 2
	if np*w*cols == 0 {
		return dst[:0]
	}
	dst = grow(dst, np*w*cols+room)[:np*w*cols]
	for p := 0; p < np; p++ {
		pd := dst[p*w*cols : (p+1)*w*cols+room]
		i0 := r0 + p*w
		h := min(w, r0+rows-i0) // rows of M in this panel
		if xT {                 // M[i, kk] = x[kk·ld + i]: a run of h values per kk
			if full := rows / w; p == 0 && full > 1 && simd() {
				// all full panels at once, row by row of x: the reads go
				// in order, the writes spread over the panels
				copyRows := copyRowsSIMD
				if relu {
					copyRows = reluRowsSIMD
				}
				for kk := 0; kk < cols; kk++ {
					copyRows(dst[kk*w:], cols*w, x[(c0+kk)*ld+r0:], w, full, w)
				}
				p = full - 1
				continue
			}
			if h == w && simd() {
				if relu {
					reluRowsSIMD(pd, w, x[c0*ld+i0:], ld, cols, w)
				} else {
					copyRowsSIMD(pd, w, x[c0*ld+i0:], ld, cols, w)
				}
				continue
			}
			for kk := 0; kk < cols; kk++ {
				d := pd[kk*w : kk*w+w]
				o := (c0+kk)*ld + i0
				if relu {
					reluGo(d[:h], x[o:o+h])
				} else {
					copy(d, x[o:o+h])
				}
				clear(d[h:])
			}
			continue
		}
		// M[i, kk] = x[i·ld + kk]: a transpose, 8 rows (6 in a 6-row
		// panel) at a time
		g := 0
		if t := min(w, 8); simd() && (t == 8 || t == 6 && !relu) {
			c8 := cols &^ 7
			for ; g+t <= h; g += t {
				src := x[(i0+g)*ld+c0:]
				transposeSIMD(t, relu, pd[g:], w, src, ld, c8)
				if c8 < cols {
					transposeGo(pd[c8*w+g:], w, src[c8:], ld, t, cols-c8, relu)
				}
			}
		}
		if g < h {
			transposeGo(pd[g:], w, x[(i0+g)*ld+c0:], ld, h-g, cols, relu)
		}
		if h < w {
			for kk := 0; kk < cols; kk++ {
				clear(pd[kk*w+h : kk*w+w])
			}
		}
	}
	return dst
}

// transposeGo sets dst[kk·ldd + r] = src[r·lds + kk] (with relu, its max
// with 0) for r < rows, kk < cols.
func transposeGo(dst []float32, ldd int, src []float32, lds, rows, cols int, relu bool) {
	for r := 0; r < rows; r++ {
		s := src[r*lds : r*lds+cols]
		for kk, v := range s {
			if relu {
				v = max(v, 0)
			}
			dst[kk*ldd+r] = v
		}
	}
}
