package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Transpose and Concat move data into a fresh tensor.

// compileTranspose: output dim i is input dim perm[i]; perm defaults to the
// reversed dims.
func compileTranspose(c *nodeCtx) (kernel, error) {
	permAttr := c.ints("perm")
	c.infer = inferTranspose(permAttr)
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		r := len(x.Shape)
		perm := make([]int, r)
		if permAttr == nil {
			for i := range perm {
				perm[i] = r - 1 - i
			}
		} else {
			if len(permAttr) != r {
				return nil, fmt.Errorf("perm %v has %d entries, input %v has rank %d", permAttr, len(permAttr), x.Shape, r)
			}
			seen := make([]bool, r)
			for i, p := range permAttr {
				if p < 0 || p >= int64(r) || seen[p] {
					return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", permAttr, r-1)
				}
				seen[p] = true
				perm[i] = int(p)
			}
		}
		out := &graph.Tensor{DType: x.DType}
		switch {
		case storesF32(x.DType):
			out.F32, out.Shape = permute(x.F32, x.Shape, perm)
		case x.DType == graph.Float64:
			out.F64, out.Shape = permute(x.F64, x.Shape, perm)
		default:
			out.I64, out.Shape = permute(x.I64, x.Shape, perm)
		}
		return out, nil
	}, nil
}

// permute copies src of shape to the layout whose dim i is shape[perm[i]].
func permute[T any](src []T, shape, perm []int) ([]T, []int) {
	r := len(shape)
	os := make([]int, r)
	stride := make([]int, r) // src stride of each output dim
	acc := 1
	st := make([]int, r)
	for i := r - 1; i >= 0; i-- {
		st[i] = acc
		acc *= shape[i]
	}
	for i, p := range perm {
		os[i] = shape[p]
		stride[i] = st[p]
	}
	n := graph.NumElements(os)
	out := make([]T, n)
	if n == 0 {
		return out, os
	}
	if r == 0 {
		out[0] = src[0]
		return out, os
	}
	idx := make([]int, r)
	off := 0
	inner, is := os[r-1], stride[r-1]
	for o := 0; o < n; o += inner {
		p := off
		for j := 0; j < inner; j++ {
			out[o+j] = src[p]
			p += is
		}
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			off += stride[d]
			if idx[d] < os[d] {
				break
			}
			off -= stride[d] * os[d]
			idx[d] = 0
		}
	}
	return out, os
}

// compileConcat joins inputs along axis (required from opset 4; default 1
// before). All inputs share dtype, rank and every other dim.
func compileConcat(c *nodeCtx) (kernel, error) {
	if c.opset >= 4 && !c.has("axis") {
		return nil, c.errf("attribute axis is required")
	}
	axisAttr := c.int("axis", 1)
	c.infer = inferConcat(axisAttr)
	for i, in := range c.n.Inputs {
		if in == nil {
			return nil, c.errf("input %d is missing", i)
		}
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		first := ins[0]
		for i, t := range ins {
			if err := checkData(t, fmt.Sprintf("input %d", i)); err != nil {
				return nil, err
			}
		}
		r := len(first.Shape)
		axis, err := normAxis(axisAttr, r, false)
		if err != nil {
			return nil, err
		}
		shape := append([]int{}, first.Shape...)
		shape[axis] = 0
		for i, t := range ins {
			if t.DType != first.DType {
				return nil, fmt.Errorf("input %d has dtype %v, input 0 has %v", i, t.DType, first.DType)
			}
			if len(t.Shape) != r {
				return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (ranks differ)", i, t.Shape, first.Shape)
			}
			for d := range t.Shape {
				if d != axis && t.Shape[d] != first.Shape[d] {
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (dim %d differs)", i, t.Shape, first.Shape, d)
				}
			}
			shape[axis] += t.Shape[axis]
		}
		out := newTensor(first.DType, shape)
		outer := graph.NumElements(shape[:axis])
		inner := graph.NumElements(shape[axis+1:])
		row := shape[axis] * inner
		off := 0
		for _, t := range ins {
			w := t.Shape[axis] * inner
			switch {
			case storesF32(t.DType):
				concatInto(out.F32, t.F32, outer, row, w, off)
			case t.DType == graph.Float64:
				concatInto(out.F64, t.F64, outer, row, w, off)
			default:
				concatInto(out.I64, t.I64, outer, row, w, off)
			}
			off += w
		}
		return out, nil
	}, nil
}

// concatInto copies src, viewed as (outer, w), into columns [off, off+w) of
// dst viewed as (outer, row).
func concatInto[T any](dst, src []T, outer, row, w, off int) {
	for o := 0; o < outer; o++ {
		copy(dst[o*row+off:o*row+off+w], src[o*w:(o+1)*w])
	}
}
