package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Ops whose data is a shape: Shape reads one, ConstantOfShape and Expand
// take one as input.

// compileShape: the int64 vector of the input's dims; from opset 15 only
// dims [start, end) (negative counts from the back, both clamped to
// [0, rank]; default all).
func compileShape(c *nodeCtx) (kernel, error) {
	var start, end int64 = 0, 1 << 62
	if c.opset >= 15 {
		start = c.int("start", 0)
		end = c.int("end", end)
	}
	rangeOf := func(r int) (int, int) {
		s, e := start, end
		if s < 0 {
			s += int64(r)
		}
		if e < 0 {
			e += int64(r)
		}
		s, e = clamp64(s, 0, int64(r)), clamp64(e, 0, int64(r))
		return int(s), int(max(s, e))
	}
	c.infer = func(ins []static) ([]static, error) {
		x := ins[0]
		if !x.rankKnown() {
			return []static{{dtype: graph.Int64, shape: []int{-1}}}, nil
		}
		s, e := rangeOf(len(x.shape))
		elems, known := make([]int64, e-s), make([]bool, e-s)
		for i, d := range x.shape[s:e] {
			elems[i], known[i] = int64(d), d >= 0
		}
		return []static{partialVector(elems, known, false)}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if x == nil {
			return nil, fmt.Errorf("input data is missing")
		}
		s, e := rangeOf(len(x.Shape))
		out := graph.NewInt64([]int{e - s}, nil)
		for i, d := range x.Shape[s:e] {
			out.I64[i] = int64(d)
		}
		return out, nil
	}, nil
}

// shapeInput reads a shape given as a 1-D int64 input: every dim >= 0.
func shapeInput(t *graph.Tensor, what string, allowNegative bool) ([]int, error) {
	v, err := intsOf(t, what)
	if err != nil {
		return nil, err
	}
	if t.DType != graph.Int64 {
		return nil, fmt.Errorf("%s has dtype %v, want int64", what, t.DType)
	}
	shape := make([]int, len(v))
	n := int64(1)
	for i, d := range v {
		if d < 0 && !allowNegative {
			return nil, fmt.Errorf("%s %v: dim %d is negative", what, v, i)
		}
		if d > maxDim || (d > 0 && n > maxElements/d) {
			return nil, fmt.Errorf("%s %v: more than %d elements", what, v, int64(maxElements))
		}
		if d > 0 {
			n *= d
		}
		shape[i] = int(d)
	}
	return shape, nil
}

// Limits on shapes given as data, so a bad file fails with an error instead
// of an allocation panic: 2^31 elements (8 GiB of float32) is more than any
// model this runtime targets.
const (
	maxDim      = 1 << 31
	maxElements = 1 << 31
)

// compileConstantOfShape: a tensor of the shape given by the int64 input,
// filled with the one-element value attribute (default float32 0).
func compileConstantOfShape(c *nodeCtx) (kernel, error) {
	fill := graph.NewFloat32([]int{1}, nil)
	if a, ok := c.attr("value", graph.AttrTensor); ok {
		if a.T == nil || a.T.Check() != nil || a.T.Len() != 1 {
			return nil, c.errf("attribute value must hold one element")
		}
		if !isNumeric(a.T.DType) && a.T.DType != graph.Bool {
			return nil, c.unsupported("value", fmt.Sprintf("dtype %v", a.T.DType))
		}
		fill = a.T
	}
	c.infer = func(ins []static) ([]static, error) {
		out := static{dtype: fill.DType}
		if elems, known, ok := ins[0].vector(); ok {
			out.shape = make([]int, len(elems))
			for i, e := range elems {
				out.shape[i] = -1
				if known[i] {
					out.shape[i] = int(e)
				}
			}
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		shape, err := shapeInput(ins[0], "input", false)
		if err != nil {
			return nil, err
		}
		out := rc.newTensor(fill.DType, shape)
		switch {
		case storesF32(fill.DType):
			for i := range out.F32 {
				out.F32[i] = fill.F32[0]
			}
		case fill.DType == graph.Float64:
			for i := range out.F64 {
				out.F64[i] = fill.F64[0]
			}
		default:
			for i := range out.I64 {
				out.I64[i] = fill.I64[0]
			}
		}
		return out, nil
	}, nil
}

// compileExpand broadcasts the input to the int64 shape input with numpy's
// rules in both directions: the output shape is the broadcast of the two
// (a dim of 1 in shape keeps the input's dim).
func compileExpand(c *nodeCtx) (kernel, error) {
	c.infer = func(ins []static) ([]static, error) {
		out := static{dtype: ins[0].dtype}
		elems, known, ok := ins[1].vector()
		if !ok || !ins[0].rankKnown() {
			return []static{out}, nil
		}
		target := make([]int, len(elems))
		for i, e := range elems {
			target[i] = -1
			if known[i] {
				target[i] = int(e)
			}
		}
		s, err := broadcastStatic(ins[0].shape, target)
		if err != nil {
			return nil, fmt.Errorf("input shape: %v", err)
		}
		out.shape = s
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		target, err := shapeInput(ins[1], "input shape", false)
		if err != nil {
			return nil, err
		}
		shape, err := broadcastShapes(x.Shape, target)
		if err != nil {
			return nil, fmt.Errorf("input shape: %v", err)
		}
		if graph.NumElements(shape) > maxElements {
			return nil, fmt.Errorf("input shape %v: output %v has more than %d elements", target, shape, int64(maxElements))
		}
		// View x with leading 1s to the output's rank; broadcast dims read
		// index 0.
		xs := append(make([]int, len(shape)-len(x.Shape)), x.Shape...)
		maps := make([][]int, len(shape))
		for d := range shape {
			if d < len(shape)-len(x.Shape) {
				xs[d] = 1
			}
			if xs[d] == shape[d] {
				maps[d] = identityMap(shape[d])
			} else {
				maps[d] = make([]int, shape[d]) // all 0
			}
		}
		return takeAxes(rc, view(x, xs), maps, nil), nil
	}, nil
}
