package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compileGemm: Y = alpha·op(A)·op(B) + beta·C with A (M,K) or (K,M) when
// transA, B (K,N) or (N,K) when transB, C broadcast to (M,N) (optional from
// opset 11; before opset 7 broadcast only with broadcast=1).
func compileGemm(c *nodeCtx) (kernel, error) {
	alpha := float64(c.float("alpha", 1))
	beta := float64(c.float("beta", 1))
	transA := c.int("transA", 0) != 0
	transB := c.int("transB", 0) != 0
	legacyBcast := true
	if c.opset < 7 {
		legacyBcast = c.int("broadcast", 0) != 0
	}
	if c.opset < 11 && (len(c.n.Inputs) < 3 || c.n.Inputs[2] == nil) {
		return nil, c.errf("input C is required before opset 11")
	}
	c.infer = inferGemm(transA, transB)
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		a, b := ins[0], ins[1]
		var cT *graph.Tensor
		if len(ins) > 2 {
			cT = ins[2]
		}
		if err := checkData(a, "input A"); err != nil {
			return nil, err
		}
		if err := checkData(b, "input B"); err != nil {
			return nil, err
		}
		if len(a.Shape) != 2 || len(b.Shape) != 2 {
			return nil, fmt.Errorf("A %v and B %v must be 2-D", a.Shape, b.Shape)
		}
		if a.DType != b.DType || !isNumeric(a.DType) {
			return nil, fmt.Errorf("dtypes %v and %v are not supported together", a.DType, b.DType)
		}
		m, k := a.Shape[0], a.Shape[1]
		if transA {
			m, k = k, m
		}
		kb, n := b.Shape[0], b.Shape[1]
		if transB {
			kb, n = n, kb
		}
		if k != kb {
			return nil, fmt.Errorf("op(A) is (%d,%d) and op(B) is (%d,%d): inner dims differ", m, k, kb, n)
		}
		out := newTensor(a.DType, []int{m, n})
		if cT != nil {
			if err := checkData(cT, "input C"); err != nil {
				return nil, err
			}
			if cT.DType != a.DType {
				return nil, fmt.Errorf("C has dtype %v, A has %v", cT.DType, a.DType)
			}
			if !canBroadcastTo(cT.Shape, out.Shape) || (!legacyBcast && !sameShape(cT.Shape, out.Shape)) {
				return nil, fmt.Errorf("C of shape %v does not broadcast to (%d,%d)", cT.Shape, m, n)
			}
		}
		lda, ldb := a.Shape[1], b.Shape[1]
		switch a.DType {
		case graph.Float32:
			if cT != nil {
				out.F32 = expandTo(cT.F32, cT.Shape, out.Shape)
				for i := range out.F32 {
					out.F32[i] *= float32(beta)
				}
			}
			sgemm(rc.threads(), transA, transB, m, n, k, float32(alpha), a.F32, lda, b.F32, ldb, 1, out.F32, n)
		case graph.Float64:
			if cT != nil {
				out.F64 = expandTo(cT.F64, cT.Shape, out.Shape)
				for i := range out.F64 {
					out.F64[i] *= beta
				}
			}
			dgemm(transA, transB, m, n, k, alpha, a.F64, lda, b.F64, ldb, 1, out.F64, n)
		default:
			igemm(transA, transB, m, n, k, a.I64, lda, b.I64, ldb, out.I64, n)
			var cv []int64
			if cT != nil {
				cv = expandTo(cT.I64, cT.Shape, out.Shape)
			}
			w := wrapInt(a.DType)
			for i, v := range out.I64 {
				r := int64(alpha * float64(v))
				if cv != nil {
					r += int64(beta * float64(cv[i]))
				}
				if w != nil {
					r = w(r)
				}
				out.I64[i] = r
			}
		}
		return out, nil
	}, nil
}

// compileMatMul: numpy matmul. 1-D A is promoted to (1,K) and 1-D B to
// (K,1), the promoted dim removed from the result; leading dims broadcast.
func compileMatMul(c *nodeCtx) (kernel, error) {
	c.infer = inferMatMul
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		a, b := ins[0], ins[1]
		if err := checkData(a, "input A"); err != nil {
			return nil, err
		}
		if err := checkData(b, "input B"); err != nil {
			return nil, err
		}
		if a.DType != b.DType || !isNumeric(a.DType) {
			return nil, fmt.Errorf("dtypes %v and %v are not supported together", a.DType, b.DType)
		}
		if len(a.Shape) == 0 || len(b.Shape) == 0 {
			return nil, fmt.Errorf("MatMul needs inputs of rank >= 1, got %v and %v", a.Shape, b.Shape)
		}
		as, bs := a.Shape, b.Shape
		if len(as) == 1 {
			as = []int{1, as[0]}
		}
		if len(bs) == 1 {
			bs = []int{bs[0], 1}
		}
		m, k := as[len(as)-2], as[len(as)-1]
		kb, n := bs[len(bs)-2], bs[len(bs)-1]
		if k != kb {
			return nil, fmt.Errorf("shapes %v and %v: inner dims %d and %d differ", a.Shape, b.Shape, k, kb)
		}
		ab, bb := as[:len(as)-2], bs[:len(bs)-2]
		batch, err := broadcastShapes(ab, bb)
		if err != nil {
			return nil, fmt.Errorf("batch dims: %v", err)
		}
		shape := append(append([]int{}, batch...), m, n)
		out := newTensor(a.DType, shape)
		sa, sb := broadcastStrides(ab, batch), broadcastStrides(bb, batch)
		nb := graph.NumElements(batch)
		idx := make([]int, len(batch))
		w := wrapInt(a.DType)
		for bi := 0; bi < nb; bi++ {
			rem, offA, offB := bi, 0, 0
			for d := len(batch) - 1; d >= 0; d-- {
				idx[d] = rem % batch[d]
				rem /= batch[d]
				offA += idx[d] * sa[d]
				offB += idx[d] * sb[d]
			}
			oa, ob, oc := offA*m*k, offB*k*n, bi*m*n
			switch a.DType {
			case graph.Float32:
				sgemm(rc.threads(), false, false, m, n, k, 1, a.F32[oa:], k, b.F32[ob:], n, 0, out.F32[oc:], n)
			case graph.Float64:
				dgemm(false, false, m, n, k, 1, a.F64[oa:], k, b.F64[ob:], n, 0, out.F64[oc:], n)
			default:
				igemm(false, false, m, n, k, a.I64[oa:], k, b.I64[ob:], n, out.I64[oc:], n)
			}
		}
		if w != nil {
			for i, v := range out.I64 {
				out.I64[i] = w(v)
			}
		}
		if len(a.Shape) == 1 {
			shape = append(shape[:len(shape)-2], shape[len(shape)-1])
		}
		if len(b.Shape) == 1 {
			shape = shape[:len(shape)-1]
		}
		out.Shape = shape
		return out, nil
	}, nil
}
