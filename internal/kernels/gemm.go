package kernels

// Epilogue flags of the assembly GEMM strips and direct kernels (the
// generator's flag* constants).
const (
	epiBias  = 1 << iota // + bias
	epiAcc               // + the old output
	epiRelu              // clamp at 0
	epiAlpha             // sums × alpha first
	epiMask              // AVX2 direct kernel: lane masks for a short block
)

func epiFlags(bias, acc, relu bool) int {
	f := 0
	if bias {
		f |= epiBias
	}
	if acc {
		f |= epiAcc
	}
	if relu {
		f |= epiRelu
	}
	return f
}

// gemmMR is the row panel height of a packed left operand (packA):
// packedGemm's, and the blocked SGEMM's at the AVX-512 level. gemmMR2 is
// the blocked SGEMM's at the AVX2 level for more than 24 columns (6×16
// tiles, see sgemmTile and gemmStrip).
const (
	gemmMR  = 8
	gemmMR2 = 6
)

// stripWidth is the number of columns of c one assembly strip of
// packedGemm computes: 48 (three ZMM vectors) with AVX-512, 24 (three YMM)
// with AVX2.
func stripWidth() int {
	if curLevel() == levelAVX512 {
		return 48
	}
	return 24
}

// packedGemm computes c (m,n; ldc) = relu?((ap·relu?(b) [+ c]) + bias) for
// ap from packA and b (k,n; ldb) row-major, read in place (callers check
// simd()). Each c is summed over k in increasing order, one FMA per
// product, whatever the split of columns between threads: the left operand
// (a weight, small) is packed once per call of Forward or Backward, the
// right one (activations, large) is not copied at all.
func packedGemm(m, n, k int, ap, b []float32, ldb int, c []float32, ldc int, bias []float32, acc, relu, reluB bool) {
	if m == 0 || n == 0 {
		return
	}
	_ = ap[(m+gemmMR-1)/gemmMR*gemmMR*k-1]
	_ = c[(m-1)*ldc+n-1]
	if k > 0 {
		_ = b[(k-1)*ldb+n-1]
	}
	if bias != nil {
		_ = bias[m-1]
	}
	nr := stripWidth()
	flags := epiFlags(bias != nil, acc, relu)
	for j0 := 0; j0 < n; j0 += nr {
		var bj []float32
		if k > 0 {
			bj = b[j0:]
		}
		gemmStrip(m, k, gemmMR, ap, bj, ldb, c[j0:], ldc, min(nr, n-j0), bias, 1, flags, reluB)
	}
}
