package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compileArgMax: int64 indices of the maxima along axis (default 0);
// keepdims (default 1) keeps the reduced dim as 1; select_last_index (opset
// 12) picks the last of equal maxima instead of the first.
func compileArgMax(c *nodeCtx) (kernel, error) {
	axisAttr := c.int("axis", 0)
	keep := c.int("keepdims", 1) != 0
	last := false
	if c.opset >= 12 {
		last = c.int("select_last_index", 0) != 0
	}
	c.infer = inferReduce(axisAttr, keep, graph.Int64)
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		if !isNumeric(x.DType) {
			return nil, fmt.Errorf("dtype %v is not supported", x.DType)
		}
		axis, err := normAxis(axisAttr, len(x.Shape), false)
		if err != nil {
			return nil, err
		}
		outer := graph.NumElements(x.Shape[:axis])
		n := x.Shape[axis]
		inner := graph.NumElements(x.Shape[axis+1:])
		if n == 0 {
			return nil, fmt.Errorf("cannot take ArgMax over an empty axis %d of shape %v", axis, x.Shape)
		}
		var shape []int
		for i, d := range x.Shape {
			switch {
			case i != axis:
				shape = append(shape, d)
			case keep:
				shape = append(shape, 1)
			}
		}
		if shape == nil {
			shape = []int{}
		}
		out := graph.NewInt64(shape, nil)
		switch {
		case x.DType == graph.Float32:
			argmax(x.F32, out.I64, outer, n, inner, last, func(a, b float32) bool { return a > b })
		case x.DType == graph.Float64:
			argmax(x.F64, out.I64, outer, n, inner, last, func(a, b float64) bool { return a > b })
		case x.DType == graph.Uint64:
			argmax(x.I64, out.I64, outer, n, inner, last, func(a, b int64) bool { return uint64(a) > uint64(b) })
		default:
			argmax(x.I64, out.I64, outer, n, inner, last, func(a, b int64) bool { return a > b })
		}
		return out, nil
	}, nil
}

// argmax writes, for x viewed as (outer, n, inner), the index along n of the
// first (or last) greatest value.
func argmax[T any](x []T, y []int64, outer, n, inner int, last bool, greater func(a, b T) bool) {
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			best, bi := x[base], 0
			for k := 1; k < n; k++ {
				v := x[base+k*inner]
				if greater(v, best) || (last && !greater(best, v)) {
					best, bi = v, k
				}
			}
			y[o*inner+i] = int64(bi)
		}
	}
}
