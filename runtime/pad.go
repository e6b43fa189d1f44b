package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compilePad pads (or, with negative amounts, crops) each axis.
//
//	opset 1:  attribute paddings, mode, value
//	opset 2:  attribute pads, mode, value
//	opset 11: inputs pads (int64) and optional constant_value (a scalar)
//	opset 18: optional input axes (the axes pads apply to)
//	opset 19: mode wrap
//
// pads is [x1_begin, x2_begin, ..., x1_end, x2_end, ...]. Modes: constant
// (the value), reflect (mirror without repeating the edge, as numpy.pad),
// edge (repeat the edge), wrap (periodic). An amount that would make a dim
// negative, reflect/edge/wrap of an empty dim, or an output above 2^31
// elements is an error naming input pads.
func compilePad(c *nodeCtx) (kernel, error) {
	mode := c.str("mode", "constant")
	switch mode {
	case "constant", "reflect", "edge":
	case "wrap":
		if c.opset < 19 {
			return nil, c.unsupported("mode", "wrap is defined from opset 19")
		}
	default:
		return nil, c.unsupported("mode", fmt.Sprintf("value %q", mode))
	}
	var attrPads []int64
	var attrValue float32
	if c.opset < 11 {
		name := "pads"
		if c.opset < 2 {
			name = "paddings"
		}
		attrPads = c.ints(name)
		if attrPads == nil {
			return nil, c.errf("attribute %s is required before opset 11", name)
		}
		attrValue = c.float("value", 0)
		if len(c.n.Inputs) > 1 {
			return nil, c.errf("pads is an attribute before opset 11, not an input")
		}
	} else if !c.present(1) {
		return nil, c.errf("input pads is required from opset 11")
	}
	if c.opset < 18 && c.present(3) {
		return nil, c.errf("input axes is defined from opset 18")
	}
	// params returns the begin and end amount of every axis of x.
	params := func(ins []*graph.Tensor, rank int) ([]int64, error) {
		pads := attrPads
		if pads == nil {
			var err error
			if pads, err = intsOf(ins[1], "input pads"); err != nil {
				return nil, err
			}
		}
		axes := make([]int, rank)
		for i := range axes {
			axes[i] = i
		}
		if len(ins) > 3 && ins[3] != nil {
			v, err := intsOf(ins[3], "input axes")
			if err != nil {
				return nil, err
			}
			axes = axes[:0]
			seen := make([]bool, rank)
			for _, a := range v {
				d, err := normAxis(a, rank, false)
				if err != nil {
					return nil, fmt.Errorf("input axes: %v", err)
				}
				if seen[d] {
					return nil, fmt.Errorf("input axes %v: axis %d is repeated", v, a)
				}
				seen[d] = true
				axes = append(axes, d)
			}
		}
		if len(pads) != 2*len(axes) {
			return nil, fmt.Errorf("input pads %v has %d values, want %d (2 per axis of %d)", pads, len(pads), 2*len(axes), len(axes))
		}
		for _, p := range pads {
			if p < -maxDim || p > maxDim {
				return nil, fmt.Errorf("input pads %v: %d is out of range [%d, %d]", pads, p, -int64(maxDim), int64(maxDim))
			}
		}
		full := make([]int64, 2*rank)
		for i, d := range axes {
			full[d], full[rank+d] = pads[i], pads[len(axes)+i]
		}
		return full, nil
	}
	c.infer = func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		ts, ok := c.constParams(ins)
		if !ok { // pads known at run time only: the rank is all we know
			out.shape = make([]int, len(x.shape))
			for d := range out.shape {
				out.shape[d] = -1
			}
			return []static{out}, nil
		}
		full, err := params(ts, len(x.shape))
		if err != nil {
			return nil, err
		}
		r := len(x.shape)
		out.shape = make([]int, r)
		for d, n := range x.shape {
			out.shape[d] = -1
			if n >= 0 {
				m := int64(n) + full[d] + full[r+d]
				if m < 0 {
					return nil, fmt.Errorf("input pads %v: axis %d of size %d would have size %d", full, d, n, m)
				}
				out.shape[d] = int(m)
			}
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		full, err := params(ins, len(x.Shape))
		if err != nil {
			return nil, err
		}
		fill, err := padValue(x, attrValue, ins)
		if err != nil {
			return nil, err
		}
		r := len(x.Shape)
		sizes := make([]int64, r)
		total := int64(1)
		for d, n := range x.Shape {
			pb, pe := full[d], full[r+d]
			m := int64(n) + pb + pe
			if pb < -int64(n) || pe < -int64(n) || m < 0 {
				return nil, fmt.Errorf("input pads %v: axis %d of size %d would have size %d", full, d, n, m)
			}
			if mode != "constant" && n == 0 && m > 0 {
				return nil, fmt.Errorf("input pads %v: mode %s cannot pad axis %d of size 0", full, mode, d)
			}
			sizes[d] = m
			total = satMul(total, m)
		}
		if total > maxElements { // checked before any index map is built
			return nil, fmt.Errorf("input pads %v: the output has more than %d elements", full, int64(maxElements))
		}
		maps := make([][]int, r)
		for d, n := range x.Shape {
			maps[d] = padMap(mode, n, int(full[d]), int(sizes[d]))
		}
		return takeAxes(rc, x, maps, fill), nil
	}, nil
}

// padMap is the index map of one axis of size n padded by pb at the start
// (negative: cropped) to size m; -1 selects the constant.
func padMap(mode string, n, pb, m int) []int {
	idx := make([]int, m)
	for o := range idx {
		i := o - pb // position in the input
		switch {
		case i >= 0 && i < n:
		case mode == "constant":
			i = -1
		case mode == "edge":
			i = min(max(i, 0), n-1)
		case mode == "wrap":
			i = ((i % n) + n) % n
		case n == 1: // reflect of one element repeats it
			i = 0
		default: // reflect, period 2(n-1)
			p := 2 * (n - 1)
			i = ((i % p) + p) % p
			if i >= n {
				i = p - i
			}
		}
		idx[o] = i
	}
	return idx
}

// padValue is the constant of mode constant: the value attribute before
// opset 11, the optional constant_value input (one element of x's dtype)
// from 11; 0 by default.
func padValue(x *graph.Tensor, attr float32, ins []*graph.Tensor) (*graph.Tensor, error) {
	if len(ins) > 2 && ins[2] != nil {
		v := ins[2]
		if err := checkData(v, "input constant_value"); err != nil {
			return nil, err
		}
		if v.DType != x.DType || v.Len() != 1 {
			return nil, fmt.Errorf("input constant_value is %v%v, want one %v value", v.DType, v.Shape, x.DType)
		}
		return v, nil
	}
	t := newTensor(x.DType, []int{1})
	switch {
	case x.DType == graph.Float32:
		t.F32[0] = attr
	case x.DType == graph.Float16:
		t.F32[0] = graph.RoundFloat16(float64(attr))
	case x.DType == graph.Float64:
		t.F64[0] = float64(attr)
	default:
		t.I64[0] = int64(attr)
	}
	return t, nil
}
