package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// This file holds the ops that only move or relabel data: Reshape, Flatten,
// Squeeze, Unsqueeze and Identity return views of their input (the Program
// copies a view before returning it as a graph output); Transpose and Concat
// copy.

// compileReshape: shape is an attribute before opset 5 and an int64 input
// from 5; allowzero (opset 14) makes 0 a literal zero dim instead of "copy
// the input's dim". One -1 is inferred from the element count.
func compileReshape(c *nodeCtx) (kernel, error) {
	var attrShape []int64
	if c.opset < 5 {
		c.legacyConsumedInputs()
		attrShape = c.ints("shape")
		if attrShape == nil {
			return nil, c.errf("attribute shape is required before opset 5")
		}
		if len(c.n.Inputs) > 1 && c.n.Inputs[1] != nil {
			return nil, c.errf("shape is an attribute before opset 5, not an input")
		}
	} else if len(c.n.Inputs) < 2 || c.n.Inputs[1] == nil {
		return nil, c.errf("input shape is required from opset 5")
	}
	allowZero := false
	if c.opset >= 14 {
		allowZero = c.int("allowzero", 0) != 0
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		spec := attrShape
		if spec == nil {
			var err error
			if spec, err = intsOf(ins[1], "input shape"); err != nil {
				return nil, err
			}
		}
		shape, err := reshapeDims(x.Shape, spec, allowZero)
		if err != nil {
			return nil, err
		}
		return view(x, shape), nil
	}, nil
}

// reshapeDims resolves a Reshape shape spec against the input shape.
func reshapeDims(in []int, spec []int64, allowZero bool) ([]int, error) {
	out := make([]int, len(spec))
	infer := -1
	known := 1
	hasZero := false
	for i, d := range spec {
		switch {
		case d == -1:
			if infer >= 0 {
				return nil, fmt.Errorf("shape %v has more than one -1", spec)
			}
			infer = i
			continue
		case d == 0 && !allowZero:
			if i >= len(in) {
				return nil, fmt.Errorf("shape %v copies dim %d (0) but the input %v has rank %d", spec, i, in, len(in))
			}
			out[i] = in[i]
		case d < -1:
			return nil, fmt.Errorf("shape %v has a negative dim %d", spec, d)
		default:
			if d == 0 {
				hasZero = true
			}
			out[i] = int(d)
		}
		known *= out[i]
	}
	n := graph.NumElements(in)
	if infer >= 0 {
		if hasZero {
			return nil, fmt.Errorf("shape %v has both -1 and a literal 0 (allowzero=1)", spec)
		}
		if known == 0 || n%known != 0 {
			return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v", in, n, spec)
		}
		out[infer] = n / known
	}
	if graph.NumElements(out) != n {
		return nil, fmt.Errorf("cannot reshape %v (%d elements) to %v = %v", in, n, spec, out)
	}
	return out, nil
}

// compileFlatten: (d0..dk-1, dk..dr-1) -> (d0*..*dk-1, dk*..*dr-1), axis in
// [-r, r], default 1.
func compileFlatten(c *nodeCtx) (kernel, error) {
	axisAttr := c.int("axis", 1)
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		axis, err := normAxis(axisAttr, len(x.Shape), true)
		if err != nil {
			return nil, err
		}
		return view(x, []int{graph.NumElements(x.Shape[:axis]), graph.NumElements(x.Shape[axis:])}), nil
	}, nil
}

// axesSource returns the axes of Squeeze/Unsqueeze: an attribute before
// opset 13, an optional int64 input from 13.
func axesSource(c *nodeCtx) (attr []int64, fromInput bool) {
	if c.opset < 13 {
		if len(c.n.Inputs) > 1 && c.n.Inputs[1] != nil {
			c.errf("axes is an attribute before opset 13, not an input")
		}
		return c.ints("axes"), false
	}
	return nil, len(c.n.Inputs) > 1 && c.n.Inputs[1] != nil
}

func compileSqueeze(c *nodeCtx) (kernel, error) {
	attrAxes, fromInput := axesSource(c)
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		axes := attrAxes
		if fromInput {
			var err error
			if axes, err = intsOf(ins[1], "input axes"); err != nil {
				return nil, err
			}
		}
		drop := make([]bool, len(x.Shape))
		if axes == nil {
			for i, d := range x.Shape {
				drop[i] = d == 1
			}
		}
		for _, a := range axes {
			i, err := normAxis(a, len(x.Shape), false)
			if err != nil {
				return nil, err
			}
			if drop[i] {
				return nil, fmt.Errorf("axis %d is repeated in %v", a, axes)
			}
			if x.Shape[i] != 1 {
				return nil, fmt.Errorf("cannot squeeze axis %d of shape %v: dim is %d, not 1", a, x.Shape, x.Shape[i])
			}
			drop[i] = true
		}
		shape := []int{}
		for i, d := range x.Shape {
			if !drop[i] {
				shape = append(shape, d)
			}
		}
		return view(x, shape), nil
	}, nil
}

func compileUnsqueeze(c *nodeCtx) (kernel, error) {
	attrAxes, fromInput := axesSource(c)
	if !fromInput && attrAxes == nil && c.err == nil {
		if c.opset < 13 {
			return nil, c.errf("attribute axes is required")
		}
		return nil, c.errf("input axes is required from opset 13")
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		axes := attrAxes
		if fromInput {
			var err error
			if axes, err = intsOf(ins[1], "input axes"); err != nil {
				return nil, err
			}
		}
		r := len(x.Shape) + len(axes)
		ones := make([]bool, r)
		for _, a := range axes {
			i, err := normAxis(a, r, false)
			if err != nil {
				return nil, err
			}
			if ones[i] {
				return nil, fmt.Errorf("axis %d is repeated in %v", a, axes)
			}
			ones[i] = true
		}
		shape := make([]int, r)
		j := 0
		for i := range shape {
			if ones[i] {
				shape[i] = 1
			} else {
				shape[i] = x.Shape[j]
				j++
			}
		}
		return view(x, shape), nil
	}, nil
}

func compileIdentity(c *nodeCtx) (kernel, error) {
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		if err := checkData(ins[0], "input"); err != nil {
			return nil, err
		}
		return view(ins[0], append([]int{}, ins[0].Shape...)), nil
	}, nil
}

// compileTranspose: output dim i is input dim perm[i]; perm defaults to the
// reversed dims.
func compileTranspose(c *nodeCtx) (kernel, error) {
	permAttr := c.ints("perm")
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
		case x.DType == graph.Float32:
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
			case t.DType == graph.Float32:
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

// compileConstant: exactly one of value (tensor), value_float(s),
// value_int(s); sparse_value and the string forms are unsupported.
func compileConstant(c *nodeCtx) (kernel, error) {
	var t *graph.Tensor
	count := 0
	if a, ok := c.attr("value", graph.AttrTensor); ok {
		count++
		t = a.T
		if t == nil {
			return nil, c.errf("attribute value holds no tensor")
		}
		if err := t.Check(); err != nil {
			return nil, c.unsupported("value", err.Error())
		}
	}
	if c.opset >= 11 && c.has("sparse_value") {
		return nil, c.unsupported("sparse_value", "sparse tensors")
	}
	if c.opset >= 12 {
		for _, name := range []string{"value_string", "value_strings"} {
			if c.has(name) {
				return nil, c.unsupported(name, "string tensors")
			}
		}
		if a, ok := c.attr("value_float", graph.AttrFloat); ok {
			count++
			t = graph.NewFloat32([]int{}, []float32{a.F})
		}
		if a, ok := c.attr("value_floats", graph.AttrFloats); ok {
			count++
			t = graph.NewFloat32([]int{len(a.Floats)}, append([]float32{}, a.Floats...))
		}
		if a, ok := c.attr("value_int", graph.AttrInt); ok {
			count++
			t = graph.NewInt64([]int{}, []int64{a.I})
		}
		if a, ok := c.attr("value_ints", graph.AttrInts); ok {
			count++
			t = graph.NewInt64([]int{len(a.Ints)}, append([]int64{}, a.Ints...))
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	if count != 1 {
		return nil, c.errf("want exactly one value attribute, got %d", count)
	}
	return func(*runCtx, []*graph.Tensor) (*graph.Tensor, error) { return t, nil }, nil
}
