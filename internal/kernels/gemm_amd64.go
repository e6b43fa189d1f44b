//go:build !purego

package kernels

//go:generate go run -C asm . -set gemm -out ../gemm_amd64.s -stubs ../gemm_stub_amd64.go -pkg kernels

// gemmStrip runs the assembly strip for columns [0, w) of c: c (m rows,
// ldc) = epilogue(ap · relu?(b)), ap packed in panels of mr rows (8, or 6
// at the AVX2 level) with k columns, b k rows of at least w columns, ldb
// apart (nil when k == 0), alpha used with epiAlpha, eo's operands (laid
// out as c) with epiAddR and epiMaskX (8-row panels only); w is at most 48
// with AVX-512, 24 with AVX2 and 8-row panels, 16 with 6-row ones. Callers
// have checked the bounds.
func gemmStrip(m, k, mr int, ap, b []float32, ldb int, c []float32, ldc, w int, bias []float32, eo epiOps, alpha float32, flags int, reluB bool) {
	var bp, bb *float32
	if bias != nil {
		bp = &bias[0]
	}
	if k > 0 {
		bb = &b[0]
	}
	r, x := eo.at(0)
	// With AVX-512, a strip of 24 columns or fewer runs AVX2's 4×24 tiles:
	// on this project's EPYC (512-bit FMAs at half the rate of 256-bit ones)
	// 8×32 tiles with 8 lanes masked off did 40% less (dw of the 7x7 conv:
	// 56 against 93 GFLOP/s).
	if curLevel() == levelAVX512 && w > 24 {
		var m3 [3]uint16
		for v := range m3 {
			if r := w - 16*v; r >= 16 {
				m3[v] = 0xffff
			} else if r > 0 {
				m3[v] = uint16(1)<<r - 1
			}
		}
		gemm512[(w+15)/16][b2i(reluB)](m, k, &ap[0], bb, 4*ldb, &c[0], 4*ldc, bp, r, x, alpha, m3[0], m3[1], m3[2], flags)
		return
	}
	if mr == gemmMR2 {
		if reluB || flags&(epiAddR|epiMaskX) != 0 {
			panic("kernels: no ReLU of b, r or x on 6-row panels")
		}
		gemmStripR6(m, k, ap, b, ldb, c, ldc, w, bias, alpha, flags)
		return
	}
	// AVX2 tiles on 8-row panels: 4×24.
	if nv := w / 8; nv > 0 {
		gemm256[nv][b2i(reluB)](m, k, &ap[0], bb, 4*ldb, &c[0], 4*ldc, bp, r, x, alpha, flags)
	}
	if rem := w % 8; rem > 0 {
		j := w - rem
		if k > 0 {
			bb = &b[j]
		}
		kern := gemmAVX2m
		if reluB {
			kern = gemmAVX2mRelu
		}
		r, x := eo.at(j)
		kern(m, k, &ap[0], bb, 4*ldb, &c[j], 4*ldc, bp, r, x, alpha, &laneMasks[16-rem], flags)
	}
}

// gemmStripR6 is gemmStrip on panels of 6 rows (AVX2, w at most 16, no
// ReLU of b): 6×16 tiles for 16 columns; for 8, 12×8 tiles (two panels:
// twice the sums of 6×8 per load of b) over the rows down to a multiple of
// 12, then 6×8 for a last odd panel; fewer than 8 under a lane mask.
func gemmStripR6(m, k int, ap, b []float32, ldb int, c []float32, ldc, w int, bias []float32, alpha float32, flags int) {
	biasAt := func(i int) *float32 {
		if bias == nil {
			return nil
		}
		return &bias[i]
	}
	bAt := func(j int) *float32 { // b from column j; nil when k == 0
		if k == 0 {
			return nil
		}
		return &b[j]
	}
	j := 0
	if w >= 16 {
		gemmAVX2r6x2(m, k, &ap[0], bAt(0), 4*ldb, &c[0], 4*ldc, biasAt(0), alpha, flags)
		j = 16
	}
	if w-j >= 8 {
		m12 := m - m%12
		if m12 > 0 {
			gemmAVX2r12x1(m12, k, &ap[0], bAt(j), 4*ldb, &c[j], 4*ldc, biasAt(0), alpha, flags)
		}
		if m12 < m {
			gemmAVX2r6x1(m-m12, k, &ap[m12*k], bAt(j), 4*ldb, &c[m12*ldc+j], 4*ldc, biasAt(m12), alpha, flags)
		}
		j += 8
	}
	if r := w - j; r > 0 {
		gemmAVX2r6m(m, k, &ap[0], bAt(j), 4*ldb, &c[j], 4*ldc, biasAt(0), alpha, &laneMasks[16-r], flags)
	}
}

// gemm512 holds the AVX-512 strips by vector count (16 columns each) and
// ReLU of b.
var gemm512 = [4][2]func(m, k int, a, b *float32, ldb int, c *float32, ldc int, bias, r, x *float32, alpha float32, m0, m1, m2 uint16, flags int){
	1: {gemmAVX512x1, gemmAVX512x1Relu},
	2: {gemmAVX512x2, gemmAVX512x2Relu},
	3: {gemmAVX512x3, gemmAVX512x3Relu},
}

// gemm256 holds the AVX2 strips by vector count (8 columns each) and
// ReLU of b.
var gemm256 = [4][2]func(m, k int, a, b *float32, ldb int, c *float32, ldc int, bias, r, x *float32, alpha float32, flags int){
	1: {gemmAVX2x1, gemmAVX2x1Relu},
	2: {gemmAVX2x2, gemmAVX2x2Relu},
	3: {gemmAVX2x3, gemmAVX2x3Relu},
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

//go:generate go run -C asm . -set pack -out ../pack_amd64.s -stubs ../pack_stub_amd64.go -pkg kernels

// transposeSIMD sets dst[j·ldd + r] = src[r·lds + j] (with relu, its max
// with 0; 8 rows only) for r < rows, j < k (rows 8 or 6, k a multiple of
// 8; strides in floats). Each column is stored as 8 values: with 6 rows,
// ldd must be 6 and dst hold 2 values more (overwritten by the next
// column, or zeros past the block).
func transposeSIMD(rows int, relu bool, dst []float32, ldd int, src []float32, lds, k int) {
	if k == 0 {
		return
	}
	if rows == 6 && ldd != 6 {
		panic("kernels: transposeSIMD of 6 rows needs ldd = 6")
	}
	_ = dst[(k-1)*ldd+7]
	_ = src[(rows-1)*lds+k-1]
	switch {
	case rows == 6 && !relu:
		transpose6(&dst[0], 4*ldd, &src[0], 4*lds, k)
	case rows == 8 && relu:
		transpose8Relu(&dst[0], 4*ldd, &src[0], 4*lds, k)
	case rows == 8:
		transpose8(&dst[0], 4*ldd, &src[0], 4*lds, k)
	default:
		panic("kernels: transposeSIMD: no kernel for these rows")
	}
}

// gemmAccSIMD adds s·w to d on a 4×16 block: d (4 rows, ldd), s (4×k, lds),
// w (k×16, ldw); k > 0 (callers check bounds).
func gemmAccSIMD(d []float32, ldd int, s []float32, lds int, w []float32, ldw, k int) {
	_, _, _ = d[3*ldd+15], s[3*lds+k-1], w[(k-1)*ldw+15]
	gemmAcc4x16(&d[0], ldd, &s[0], lds, &w[0], ldw, k)
}
