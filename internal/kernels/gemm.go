package kernels

// Epilogue flags of the assembly GEMM strips and direct kernels (the
// generator's flag* constants).
const (
	epiBias  = 1 << iota // + bias
	epiAcc               // + the old output
	epiRelu              // clamp at 0
	epiAlpha             // sums × alpha first
	epiMask              // AVX2 direct kernel: lane masks for a short block
	epiAddR              // packedGemm: + r, after the bias
	epiMaskX             // packedGemm: 0 where x is not > 0 (ReLU's gradient), before + r
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

// packedGemm computes c (m,n; ldc) = relu?(((ap·relu?(b) [+ c]) + bias)
// [⊙ (x > 0)] [+ r]) for ap from packA and b (k,n; ldb) row-major, read in
// place (callers check simd()); eo's r and x (nil when unused) are laid
// out as c. Each c is summed over k in increasing order, one FMA per
// product, whatever the split of columns between threads: the left operand
// (a weight, small) is packed once per call of Forward or Backward, the
// right one (activations, large) is not copied at all.
func packedGemm(m, n, k int, ap, b []float32, ldb int, c []float32, ldc int, bias []float32, eo epiOps, acc, relu, reluB bool) {
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
	flags := epiFlags(bias != nil, acc, relu)
	if eo.r != nil {
		_ = eo.r[(m-1)*ldc+n-1]
		flags |= epiAddR
	}
	if eo.x != nil {
		_ = eo.x[(m-1)*ldc+n-1]
		flags |= epiMaskX
	}
	nr := stripWidth()
	for j0 := 0; j0 < n; j0 += nr {
		var bj []float32
		if k > 0 {
			bj = b[j0:]
		}
		gemmStrip(m, k, gemmMR, ap, bj, ldb, c[j0:], ldc, min(nr, n-j0), bias, eo.from(j0), 1, flags, reluB)
	}
}

// epiOps are the epilogue operands of packedGemm's strips, laid out as c:
// r is added (epiAddR), x masks by its sign (epiMaskX); nil when unused.
type epiOps struct{ r, x []float32 }

// from returns the operands from column j on.
func (e epiOps) from(j int) epiOps {
	if e.r != nil {
		e.r = e.r[j:]
	}
	if e.x != nil {
		e.x = e.x[j:]
	}
	return e
}

// at returns pointers to the operands' column j (nil for an absent one).
func (e epiOps) at(j int) (r, x *float32) {
	if e.r != nil {
		r = &e.r[j]
	}
	if e.x != nil {
		x = &e.x[j]
	}
	return r, x
}
