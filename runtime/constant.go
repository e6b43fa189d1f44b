package runtime

import "github.com/pixelgraph/pixelgraph/graph"

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
