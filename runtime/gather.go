package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compileGather: out = data indexed along axis (default 0) by indices
// (int32 or int64, any rank q; negative counts from the end, as Gather-11
// states and ONNX Runtime does at every opset). The output has shape
// data[:axis] + indices + data[axis+1:]. An index out of [-s, s-1] is an
// error naming it.
func compileGather(c *nodeCtx) (kernel, error) {
	axisAttr := c.int("axis", 0)
	c.infer = func(ins []static) ([]static, error) {
		data, ind := ins[0], ins[1]
		out := static{dtype: data.dtype}
		if !data.rankKnown() || !ind.rankKnown() {
			return []static{out}, nil
		}
		axis, err := normAxis(axisAttr, len(data.shape), false)
		if err != nil {
			return nil, fmt.Errorf("input data %v: %v", data.shape, err)
		}
		out.shape = append(append(append([]int{}, data.shape[:axis]...), ind.shape...), data.shape[axis+1:]...)
		// Gather of known elements of a shape vector (Shape → Gather).
		elems, known, ok := data.vector()
		idx := ind.val
		if ok && idx != nil && len(data.shape) == 1 && len(idx.Shape) <= 1 {
			pe := make([]int64, len(idx.I64))
			pk := make([]bool, len(idx.I64))
			for i, k := range idx.I64 {
				j, err := gatherIndex(k, len(elems))
				if err != nil {
					return nil, err
				}
				pe[i], pk[i] = elems[j], known[j]
			}
			return []static{partialVector(pe, pk, len(idx.Shape) == 0)}, nil
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x, ind := ins[0], ins[1]
		if err := checkData(x, "input data"); err != nil {
			return nil, err
		}
		if err := checkData(ind, "input indices"); err != nil {
			return nil, err
		}
		if ind.DType != graph.Int64 && ind.DType != graph.Int32 {
			return nil, fmt.Errorf("input indices has dtype %v, want int32 or int64", ind.DType)
		}
		axis, err := normAxis(axisAttr, len(x.Shape), false)
		if err != nil {
			return nil, fmt.Errorf("input data %v: %v", x.Shape, err)
		}
		s := x.Shape[axis]
		picks := make([]int, len(ind.I64))
		for i, k := range ind.I64 {
			if picks[i], err = gatherIndex(k, s); err != nil {
				return nil, err
			}
		}
		maps := make([][]int, len(x.Shape))
		for d, n := range x.Shape {
			maps[d] = identityMap(n)
		}
		maps[axis] = picks
		out := takeAxes(rc, x, maps, nil)
		out.Shape = append(append(append([]int{}, x.Shape[:axis]...), ind.Shape...), x.Shape[axis+1:]...)
		return out, nil
	}, nil
}

// gatherIndex maps an index in [-s, s-1] to [0, s).
func gatherIndex(k int64, s int) (int, error) {
	if k < -int64(s) || k >= int64(s) {
		return 0, fmt.Errorf("input indices: index %d is out of range [%d, %d] for an axis of size %d", k, -s, s-1, s)
	}
	if k < 0 {
		k += int64(s)
	}
	return int(k), nil
}
