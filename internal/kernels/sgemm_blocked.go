package kernels

import "sync"

// The SGEMM of the AVX2 and AVX-512 levels, blocked as in BLIS (Van Zee and
// van de Geijn, "BLIS: A Framework for Rapidly Instantiating BLAS
// Functionality", 2015): for each block of nc columns and kc of the
// reduction, op(b) is packed into panels of nr columns ([kc][nr],
// L1/L2-sized); for each block of mc rows op(a) is packed into panels of 8
// rows (AVX-512) or 6 (AVX2) ([kc][mr], L2-sized); then one assembly strip
// per panel of b runs the register-blocked micro-kernel down the rows (8×48
// with AVX-512, 6×16 with AVX2; see sgemmTile). Each c is summed over k in increasing order (kc at a time, added
// to c between blocks), so the result does not depend on how the columns
// are split between threads.

// Cache blocking: gemmMC × gemmKC floats of packed a (192 KiB) stay in L2
// while a panel of b (kc × 16 or 48 floats, 16 or 48 KiB) is reused by
// every row panel; gemmNC bounds the packed b (2.3 MiB).
const (
	gemmMC = 192  // a multiple of 8 and 6
	gemmNC = 2400 // a multiple of 48 and 16
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

// sgemmBlocked is sgemm at the SIMD levels (k > 0). bufs nil: a pooled
// pair. With reluB it multiplies by max(op(b), 0), applied as b is packed
// (Backward's weight gradient of a conv that reads relu(x): x is read in
// place, not copied first).
func sgemmBlocked(bufs *gemmBufs, transA, transB, reluB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if bufs == nil {
		bufs = gemmPool.Get().(*gemmBufs)
		defer gemmPool.Put(bufs)
	}
	if beta != 0 && beta != 1 {
		ScaleRows(c, m, n, ldc, beta)
		beta = 1
	}
	mr, nr := sgemmTile(n)
	flags0 := 0
	if alpha != 1 {
		flags0 = epiAlpha
	}
	for jc := 0; jc < n; jc += gemmNC {
		nc := min(gemmNC, n-jc)
		for pc := 0; pc < k; pc += gemmKC {
			kc := min(gemmKC, k-pc)
			// op(b)[pc:pc+kc, jc:jc+nc]: packed as panels of nr columns,
			// or, when few rows of a reuse it, b itself read in place
			var bp []float32
			ldp, step := nr, kc
			if transB || reluB || m > gemmInPlaceRows {
				bufs.b = packPanels(bufs.b, b, !transB, reluB, jc, nc, pc, kc, ldb, nr)
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
				bufs.a = packPanels(bufs.a, a, transA, false, ic, mc, pc, kc, lda, mr)
				for jr := 0; jr < nc; jr += nr {
					gemmStrip(mc, kc, mr, bufs.a, bp[jr*step:], ldp, c[ic*ldc+jc+jr:], ldc, min(nr, nc-jr), nil, epiOps{}, alpha, flags, false)
				}
			}
		}
	}
}

// sgemmTile returns the row panel height and strip width of the blocked
// SGEMM of n columns: 8 and 48 with AVX-512; with AVX2, BLIS's Haswell tile,
// 6 rows × 16 columns, whose strip of a non-transposed b read in place is
// one cache line a row (24 columns span two), except for n ≤ 24, which one
// strip of 4×24 tiles covers (6×16 would take a strip of 16 and one of 8,
// the second at half the sums per load). Measured against OpenBLAS's Haswell
// kernel (issue 10; docs/BENCHMARKS.md, "Speed, round 2").
func sgemmTile(n int) (mr, nr int) {
	switch {
	case curLevel() == levelAVX512:
		return gemmMR, 48
	case n <= 24:
		return gemmMR, 24
	}
	return gemmMR2, 16
}
