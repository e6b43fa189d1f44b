package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// This file holds the ops that only relabel data: Reshape, Flatten, Squeeze,
// Unsqueeze and Identity return views of their input (same data, new shape;
// the Program copies a view before returning it as a graph output). Ops that
// move data (Transpose, Concat) are in layout.go.

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
	c.infer = inferReshape(attrShape, allowZero)
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
	c.infer = inferFlatten(axisAttr)
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
	c.infer = inferAxes(true, attrAxes, fromInput)
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
	c.infer = inferAxes(false, attrAxes, fromInput)
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
	c.infer = passThrough
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		if err := checkData(ins[0], "input"); err != nil {
			return nil, err
		}
		return view(ins[0], append([]int{}, ins[0].Shape...)), nil
	}, nil
}
