package kernels

import (
	"os"
	"strconv"
	"sync"
)

// The SGEMM of the AVX2 and AVX-512 levels, blocked as in BLIS (Van Zee and
// van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", 2015): for each block of nc columns and kc of the
// reduction, op(b) is packed into panels of stripWidth() columns ([kc][nr],
// L1/L2-sized); for each block of mc rows op(a) is packed into panels of 8
// rows ([kc][8], L2-sized); then one assembly strip per panel of b runs the
// register-blocked micro-kernel down the rows (8×48 with AVX-512, 4×24 with
// AVX2). Each c is summed over k in increasing order (kc at a time, added
// to c between blocks), so the result does not depend on how the columns
// are split between threads.

// Cache blocking: gemmMC × gemmKC floats of packed a (192 KiB) stay in L2
// while a panel of b (kc × 24 or 48 floats, 24 or 48 KiB) is reused by
// every row panel; gemmNC bounds the packed b (2.3 MiB).
const (
	gemmMC = 192
	gemmNC = 2400 // a multiple of 48 and 24
)

// gemmKC is the reduction block: 256 at both levels. With AVX-512 (strips
// of 48) 128 would keep a panel of b in L1, but measured on the seed's
// shapes and 1024³, 256 was as fast or faster (fewer passes over c).
const gemmKC = 256

// gemmInPlaceRows: with at most this many rows in c, a non-transposed b is
// read in place by the strips instead of packed: with few rows of a to
// reuse a packed panel, the copy costs more than the contiguous panel saves
// (AVX2, m = 64, n = 3136, k = 320: 0.94 of OpenBLAS's speed in place,
// 0.84 packed; 1024³ packed 0.99 — medians of interleaved pairs on the
// shared machine). Packing copies b row by row (packPanels), so its reads
// go in order.
const gemmInPlaceRows = 256

// gemmBufs are the packing buffers of one SGEMM caller.
type gemmBufs struct{ a, b []float32 }

var gemmPool = sync.Pool{New: func() any { return new(gemmBufs) }}

// sgemmBlocked is sgemm at the SIMD levels (k > 0). bufs nil: a pooled pair.
func sgemmBlocked(bufs *gemmBufs, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if bufs == nil {
		bufs = gemmPool.Get().(*gemmBufs)
		defer gemmPool.Put(bufs)
	}
	if beta != 0 && beta != 1 {
		ScaleRows(c, m, n, ldc, beta)
		beta = 1
	}
	nr, kcMax := stripWidth(), kcFor()
	flags0 := 0
	if alpha != 1 {
		flags0 = epiAlpha
	}
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += kcMax {
			kc := min(kcMax, k-pc)
			// op(b)[pc:pc+kc, jc:jc+nc]: packed as panels of nr columns,
			// or, when few rows of a reuse it, b itself read in place
			var bp []float32
			ldp, step := nr, kc
			if transB || m > gemmInPlaceRows {
				bufs.b = packPanels(bufs.b, b, !transB, jc, nc, pc, kc, ldb, nr)
				bp = bufs.b
			} else {
				bp, ldp, step = b[pc*ldb+jc:], ldb, 1
			}
			flags := flags0
			if beta != 0 || pc > 0 {
				flags |= epiAcc
			}
			for ic := 0; ic < m; ic += gemmMC {
				mc := min(gemmMC, m-ic)
				bufs.a = packPanels(bufs.a, a, transA, ic, mc, pc, kc, lda, gemmMR)
				for jr := 0; jr < nc; jr += nr {
					gemmStrip(mc, kc, bufs.a, bp[jr*step:], ldp, c[ic*ldc+jc+jr:], ldc, min(nr, nc-jr), nil, alpha, flags, false)
				}
			}
		}
	}
}

func kcFor() int {
	if v := os.Getenv("KCTRY"); v != "" && curLevel() == levelAVX2 {
		k, _ := strconv.Atoi(v)
		return k
	}
	return gemmKC
}
