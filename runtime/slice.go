package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// sliceArgs are a Slice's starts, ends, axes and steps, from attributes
// (before opset 10) or from inputs 1..4.
type sliceArgs struct {
	starts, ends, axes, steps []int64
}

// compileSlice: before opset 10 starts, ends (required) and axes are
// attributes; from 10 they are int32/int64 inputs, with optional axes and
// steps (negative steps slice backwards, opset 10's addition). Negative
// starts and ends count from the end of the axis and are clamped as Slice-13
// states (numpy's rules); negative axes count from the back (stated at 11,
// accepted at 10 as ONNX Runtime does).
func compileSlice(c *nodeCtx) (kernel, error) {
	var attr *sliceArgs
	if c.opset < 10 {
		if len(c.n.Inputs) > 1 {
			return nil, c.errf("starts, ends and axes are attributes before opset 10, not inputs")
		}
		attr = &sliceArgs{starts: c.ints("starts"), ends: c.ints("ends"), axes: c.ints("axes")}
		if attr.starts == nil || attr.ends == nil {
			return nil, c.errf("attributes starts and ends are required before opset 10")
		}
	} else if len(c.n.Inputs) < 3 {
		return nil, c.errf("inputs starts and ends are required from opset 10")
	}
	args := func(ins []*graph.Tensor) (*sliceArgs, error) {
		if attr != nil {
			return attr, nil
		}
		a := &sliceArgs{}
		for i, dst := range []*[]int64{&a.starts, &a.ends, &a.axes, &a.steps} {
			if i+1 >= len(ins) || ins[i+1] == nil {
				continue
			}
			v, err := intsOf(ins[i+1], "input "+[]string{"starts", "ends", "axes", "steps"}[i])
			if err != nil {
				return nil, err
			}
			*dst = v
		}
		return a, nil
	}
	c.infer = func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		ts, ok := c.constParams(ins)
		if !ok {
			return []static{out}, nil // parameters known at run time only
		}
		a, err := args(ts)
		if err != nil {
			return nil, err
		}
		// A slice of a partly known shape vector keeps its known elements.
		if elems, known, ok := x.vector(); ok && len(x.shape) == 1 {
			m, err := a.maps([]int{len(elems)})
			if err != nil {
				return nil, err
			}
			pe, pk := make([]int64, len(m[0])), make([]bool, len(m[0]))
			for i, j := range m[0] {
				pe[i], pk[i] = elems[j], known[j]
			}
			return []static{partialVector(pe, pk, false)}, nil
		}
		if !x.dimsKnown() {
			// Dims not sliced keep their (possibly unknown) size.
			out.shape = append([]int{}, x.shape...)
			for _, ax := range a.axesOr(len(x.shape)) {
				d, err := normAxis(ax, len(x.shape), false)
				if err != nil {
					return nil, fmt.Errorf("input axes: %v", err)
				}
				out.shape[d] = -1
			}
			return []static{out}, nil
		}
		m, err := a.maps(x.shape)
		if err != nil {
			return nil, err
		}
		out.shape = make([]int, len(m))
		for d := range m {
			out.shape[d] = len(m[d])
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		a, err := args(ins)
		if err != nil {
			return nil, err
		}
		maps, err := a.maps(x.Shape)
		if err != nil {
			return nil, err
		}
		return takeAxes(rc, x, maps, nil), nil
	}, nil
}

// axesOr returns the axes, or 0..len(starts)-1 when absent.
func (a *sliceArgs) axesOr(rank int) []int64 {
	if a.axes != nil {
		return a.axes
	}
	axes := make([]int64, len(a.starts))
	for i := range axes {
		axes[i] = int64(i)
	}
	return axes
}

// maps returns the index map of every axis of a tensor of shape xs.
func (a *sliceArgs) maps(xs []int) ([][]int, error) {
	n := len(a.starts)
	if len(a.ends) != n {
		return nil, fmt.Errorf("input ends has %d values, starts has %d", len(a.ends), n)
	}
	axes := a.axesOr(len(xs))
	if len(axes) != n {
		return nil, fmt.Errorf("input axes has %d values, starts has %d", len(axes), n)
	}
	if a.steps != nil && len(a.steps) != n {
		return nil, fmt.Errorf("input steps has %d values, starts has %d", len(a.steps), n)
	}
	maps := make([][]int, len(xs))
	for i, ax := range axes {
		d, err := normAxis(ax, len(xs), false)
		if err != nil {
			return nil, fmt.Errorf("input axes: %v", err)
		}
		if maps[d] != nil {
			return nil, fmt.Errorf("input axes %v: axis %d is repeated", axes, ax)
		}
		step := int64(1)
		if a.steps != nil {
			step = a.steps[i]
		}
		if step == 0 {
			return nil, fmt.Errorf("input steps %v: a step is 0", a.steps)
		}
		maps[d] = sliceRange(a.starts[i], a.ends[i], step, int64(xs[d]))
	}
	for d := range maps {
		if maps[d] == nil {
			maps[d] = identityMap(xs[d])
		}
	}
	return maps, nil
}

// sliceRange is the index sequence start, start+step, ... before end on an
// axis of size dim, after Slice-13's adjustment and clamping.
func sliceRange(start, end, step, dim int64) []int {
	if start < 0 {
		start += dim
	}
	if end < 0 {
		end += dim
	}
	var idx []int
	if step > 0 {
		start, end = clamp64(start, 0, dim), clamp64(end, 0, dim)
		for i := start; i < end; i += step {
			idx = append(idx, int(i))
			if i > math.MaxInt64-step {
				break
			}
		}
	} else {
		start, end = clamp64(start, 0, dim-1), clamp64(end, -1, dim-1)
		for i := start; i > end; i += step {
			idx = append(idx, int(i))
			if i < math.MinInt64-step {
				break
			}
		}
	}
	if idx == nil {
		idx = []int{}
	}
	return idx
}

func clamp64(v, lo, hi int64) int64 { return max(lo, min(v, hi)) }

// compileSplit cuts input into len(outputs) parts along axis (default 0).
// The part sizes come from the split attribute (before opset 13; also the
// optional second input at opset 1), the int64 split input (from 13), or
// num_outputs (from 18: parts of ceil(dim/n), the last one smaller);
// without any of them the parts are equal (the dim must divide evenly).
func compileSplit(c *nodeCtx) (kernelN, error) {
	axisAttr := c.int("axis", 0)
	nout := len(c.n.Outputs)
	var attrSplit []int64
	numOutputs := int64(0)
	hasInput := len(c.n.Inputs) > 1 && c.n.Inputs[1] != nil
	switch {
	case c.opset < 13:
		attrSplit = c.ints("split")
		if hasInput && c.opset >= 2 {
			return nil, c.errf("split is an attribute before opset 13, not an input")
		}
		if hasInput && attrSplit != nil {
			return nil, c.errf("split is both an attribute and an input")
		}
	case c.opset >= 18:
		numOutputs = c.int("num_outputs", 0)
		if c.has("num_outputs") {
			if hasInput {
				return nil, c.errf("input split and attribute num_outputs are both set")
			}
			if numOutputs != int64(nout) {
				return nil, c.errf("num_outputs is %d but the node has %d outputs", numOutputs, nout)
			}
		}
	}
	if c.err != nil {
		return nil, c.err
	}
	sizes := func(ins []*graph.Tensor, dim int) ([]int, error) {
		split := attrSplit
		if len(ins) > 1 && ins[1] != nil {
			v, err := intsOf(ins[1], "input split")
			if err != nil {
				return nil, err
			}
			split = v
		}
		out := make([]int, nout)
		switch {
		case split != nil:
			if len(split) != nout {
				return nil, fmt.Errorf("split %v has %d values for %d outputs", split, len(split), nout)
			}
			total := int64(0)
			for i, s := range split {
				if s < 0 {
					return nil, fmt.Errorf("split %v has a negative size", split)
				}
				total += s
				out[i] = int(s)
			}
			if total != int64(dim) {
				return nil, fmt.Errorf("split %v sums to %d, the axis has %d", split, total, dim)
			}
		case numOutputs > 0:
			chunk := (dim + nout - 1) / nout
			left := dim
			for i := range out {
				out[i] = min(chunk, left)
				left -= out[i]
			}
		default:
			if dim%nout != 0 {
				return nil, fmt.Errorf("an axis of %d does not split into %d equal parts", dim, nout)
			}
			for i := range out {
				out[i] = dim / nout
			}
		}
		return out, nil
	}
	c.infer = func(ins []static) ([]static, error) {
		x := ins[0]
		outs := make([]static, nout)
		for i := range outs {
			outs[i].dtype = x.dtype
		}
		if !x.rankKnown() {
			return outs, nil
		}
		axis, err := normAxis(axisAttr, len(x.shape), false)
		if err != nil {
			return nil, fmt.Errorf("input %v: %v", x.shape, err)
		}
		var sz []int
		if dim := x.shape[axis]; dim >= 0 && (!c.present(1) || ins[1].val != nil) {
			var ts []*graph.Tensor
			if len(ins) > 1 {
				ts = []*graph.Tensor{nil, ins[1].val}
			}
			if sz, err = sizes(ts, dim); err != nil {
				return nil, err
			}
		}
		for i := range outs {
			outs[i].shape = append([]int{}, x.shape...)
			outs[i].shape[axis] = -1
			if sz != nil {
				outs[i].shape[axis] = sz[i]
			}
		}
		return outs, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		axis, err := normAxis(axisAttr, len(x.Shape), false)
		if err != nil {
			return nil, fmt.Errorf("input %v: %v", x.Shape, err)
		}
		sz, err := sizes(ins, x.Shape[axis])
		if err != nil {
			return nil, err
		}
		maps := make([][]int, len(x.Shape))
		for d, n := range x.Shape {
			maps[d] = identityMap(n)
		}
		outs := make([]*graph.Tensor, nout)
		off := 0
		for i, n := range sz {
			if c.n.Outputs[i] != nil {
				m := make([]int, n)
				for j := range m {
					m[j] = off + j
				}
				maps[axis] = m
				outs[i] = takeAxes(rc, x, maps, nil)
			}
			off += n
		}
		return outs, nil
	}, nil
}
