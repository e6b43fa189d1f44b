package runtime

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// runOpN runs a one-node graph with nout outputs (named out0, out1, ...).
func runOpN(op string, opset int, attrs []graph.Attr, nout int, args ...arg) ([]*graph.Tensor, error) {
	g := opGraph(op, opset, attrs, args...)
	n := g.Nodes[0]
	n.Outputs, g.Outputs = nil, nil
	for i := 0; i < nout; i++ {
		v := &graph.Value{Name: fmt.Sprintf("out%d", i), Producer: n}
		n.Outputs = append(n.Outputs, v)
		g.Outputs = append(g.Outputs, v)
	}
	feeds := map[string]*graph.Tensor{}
	for i, a := range args {
		if a.t != nil && !a.constant {
			feeds[fmt.Sprintf("in%d", i)] = a.t
		}
	}
	res, err := Run(context.Background(), g, feeds)
	if err != nil {
		return nil, err
	}
	outs := make([]*graph.Tensor, nout)
	for i := range outs {
		outs[i] = res[fmt.Sprintf("out%d", i)]
	}
	return outs, nil
}

func TestGatherSliceShape(t *testing.T) {
	t.Parallel()
	x := f32([]int{3, 4}, seq(12)...) // rows 0..3, 4..7, 8..11
	runOpCases(t, []opCase{
		{"gather rows", "Gather", 13, nil, []arg{in(x), cst(i64([]int{2}, 2, 0))}, f32([]int{2, 4}, 8, 9, 10, 11, 0, 1, 2, 3)},
		{"gather negative index, axis 1", "Gather", 11, []graph.Attr{attrInt("axis", 1)}, []arg{in(x), cst(i64([]int{1}, -1))},
			f32([]int{3, 1}, 3, 7, 11)},
		{"gather scalar index drops the axis", "Gather", 13, nil, []arg{in(x), in(ints(graph.Int32, []int{}, 1))}, f32([]int{4}, 4, 5, 6, 7)},
		{"gather 2-D indices", "Gather", 1, []graph.Attr{attrInt("axis", -1)}, []arg{in(x), cst(i64([]int{2, 2}, 0, 3, 1, 1))},
			f32([]int{3, 2, 2}, 0, 3, 1, 1, 4, 7, 5, 5, 8, 11, 9, 9)},
		{"gather int64 data (a shape)", "Gather", 13, nil, []arg{in(i64([]int{4}, 1, 6, 28, 28)), cst(i64([]int{}, 1))}, i64([]int{}, 6)},
		{"slice negative step", "Slice", 13, nil, []arg{in(x), cst(i64([]int{1}, -1)), cst(i64([]int{1}, math.MinInt64)), cst(i64([]int{1}, 1)), cst(i64([]int{1}, -2))},
			f32([]int{3, 2}, 3, 1, 7, 5, 11, 9)},
		{"slice negative axis, clamped end", "Slice", 11, nil, []arg{in(x), cst(i64([]int{1}, 1)), cst(i64([]int{1}, 100)), cst(i64([]int{1}, -2))},
			f32([]int{2, 4}, 4, 5, 6, 7, 8, 9, 10, 11)},
		{"slice int32 params, default axes", "Slice", 10, nil, []arg{in(x), cst(ints(graph.Int32, []int{2}, 0, 1)), cst(ints(graph.Int32, []int{2}, -1, 3))},
			f32([]int{2, 2}, 1, 2, 5, 6)},
		{"slice attributes (opset 1)", "Slice", 1, []graph.Attr{attrInts("starts", 1), attrInts("ends", 2), attrInts("axes", 0)}, []arg{in(x)},
			f32([]int{1, 4}, 4, 5, 6, 7)},
		{"slice empty", "Slice", 13, nil, []arg{in(x), cst(i64([]int{1}, 3)), cst(i64([]int{1}, 1)), cst(i64([]int{1}, 1))}, f32([]int{3, 0})},
		{"slice step -1 reverses (torch's flip)", "Slice", 13, nil, []arg{in(i64([]int{3}, 1, 2, 3)), cst(i64([]int{1}, -1)), cst(i64([]int{1}, -4)),
			cst(i64([]int{1}, 0)), cst(i64([]int{1}, -1))}, i64([]int{3}, 3, 2, 1)},
		{"shape", "Shape", 13, nil, []arg{in(x)}, i64([]int{2}, 3, 4)},
		{"shape start/end (opset 15)", "Shape", 15, []graph.Attr{attrInt("start", -1), attrInt("end", 10)}, []arg{in(x)}, i64([]int{1}, 4)},
		{"shape of a scalar", "Shape", 13, nil, []arg{in(f32([]int{}, 1))}, i64([]int{0})},
		{"constantofshape default", "ConstantOfShape", 9, nil, []arg{in(i64([]int{2}, 1, 2))}, f32([]int{1, 2}, 0, 0)},
		{"constantofshape int value, scalar", "ConstantOfShape", 20, []graph.Attr{{Name: "value", Type: graph.AttrTensor, T: i64([]int{1}, 7)}},
			[]arg{in(i64([]int{0}))}, i64([]int{}, 7)},
		{"expand both ways", "Expand", 13, nil, []arg{in(f32([]int{3, 1}, 1, 2, 3)), cst(i64([]int{3}, 2, 1, 2))},
			f32([]int{2, 3, 2}, 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3)},
		{"expand to a smaller shape keeps dims", "Expand", 8, nil, []arg{in(f32([]int{2, 2}, 1, 2, 3, 4)), cst(i64([]int{1}, 1))},
			f32([]int{2, 2}, 1, 2, 3, 4)},
		{"cast float to int32 truncates", "Cast", 13, []graph.Attr{attrInt("to", int64(graph.Int32))}, []arg{in(f32([]int{4}, 1.9, -1.9, 3e9, float32(math.NaN())))},
			ints(graph.Int32, []int{4}, 1, -1, -1294967296, 0)},
		{"cast int64 to uint8 wraps", "Cast", 6, []graph.Attr{attrInt("to", int64(graph.Uint8))}, []arg{in(i64([]int{2}, 300, -1))}, ints(graph.Uint8, []int{2}, 44, 255)},
		{"cast to bool", "Cast", 9, []graph.Attr{attrInt("to", int64(graph.Bool))}, []arg{in(f32([]int{3}, 0, -2, float32(math.NaN())))}, ints(graph.Bool, []int{3}, 0, 1, 1)},
		{"cast string name (opset 1)", "Cast", 1, []graph.Attr{attrStr("to", "DOUBLE")}, []arg{in(i64([]int{1}, -3))}, f64([]int{1}, -3)},
		{"cast to float16 rounds to nearest even", "Cast", 13, []graph.Attr{attrInt("to", int64(graph.Float16))}, []arg{in(f64([]int{3}, 1+0x1p-11, 0.1, 70000))},
			&graph.Tensor{DType: graph.Float16, Shape: []int{3}, F32: []float32{1, 0.0999755859375, float32(math.Inf(1))}}},
		{"cast uint64 to float", "Cast", 13, []graph.Attr{attrInt("to", int64(graph.Float64))}, []arg{in(ints(graph.Uint64, []int{1}, -1))}, f64([]int{1}, 1<<64)},
	})
}

func TestSplit(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 5}, seq(10)...)
	tests := []struct {
		name  string
		opset int
		attrs []graph.Attr
		args  []arg
		want  []*graph.Tensor
	}{
		{"split attribute (opset 11)", 11, []graph.Attr{attrInt("axis", 1), attrInts("split", 2, 3)}, []arg{in(x)},
			[]*graph.Tensor{f32([]int{2, 2}, 0, 1, 5, 6), f32([]int{2, 3}, 2, 3, 4, 7, 8, 9)}},
		{"split input with a zero part (opset 13)", 13, []graph.Attr{attrInt("axis", -1)}, []arg{in(x), cst(i64([]int{3}, 4, 0, 1))},
			[]*graph.Tensor{f32([]int{2, 4}, 0, 1, 2, 3, 5, 6, 7, 8), f32([]int{2, 0}), f32([]int{2, 1}, 4, 9)}},
		{"equal parts on axis 0", 13, nil, []arg{in(x)}, []*graph.Tensor{f32([]int{1, 5}, 0, 1, 2, 3, 4), f32([]int{1, 5}, 5, 6, 7, 8, 9)}},
		{"num_outputs, last part smaller (opset 18)", 18, []graph.Attr{attrInt("axis", 1), attrInt("num_outputs", 2)}, []arg{in(x)},
			[]*graph.Tensor{f32([]int{2, 3}, 0, 1, 2, 5, 6, 7), f32([]int{2, 2}, 3, 4, 8, 9)}},
		{"split input at opset 1", 1, []graph.Attr{attrInt("axis", 1)}, []arg{in(x), cst(i64([]int{2}, 1, 4))},
			[]*graph.Tensor{f32([]int{2, 1}, 0, 5), f32([]int{2, 4}, 1, 2, 3, 4, 6, 7, 8, 9)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := runOpN("Split", tc.opset, tc.attrs, len(tc.want), tc.args...)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tc.want {
				expectClose(t, got[i], tc.want[i])
			}
		})
	}
}

// TestSelectErrors: bad values are one-line errors naming node, op and the
// input at fault, at compile time when the values are constants.
func TestSelectErrors(t *testing.T) {
	t.Parallel()
	x := f32([]int{3, 4}, seq(12)...)
	runOpErrCases(t, []opErrCase{
		{"gather index out of range", "Gather", 13, nil, []arg{in(x), cst(i64([]int{1}, 3))}, "input indices: index 3 is out of range [-3, 2]"},
		{"gather index fed at run time", "Gather", 13, nil, []arg{in(x), in(i64([]int{1}, -4))}, "input indices: index -4 is out of range"},
		{"gather float indices", "Gather", 13, nil, []arg{in(x), in(f32([]int{1}, 0))}, "input indices has dtype float32"},
		{"gather axis out of range", "Gather", 13, []graph.Attr{attrInt("axis", 2)}, []arg{in(x), in(i64([]int{1}, 0))}, "axis 2 out of range"},
		{"slice zero step", "Slice", 13, nil, []arg{in(x), cst(i64([]int{1}, 0)), cst(i64([]int{1}, 1)), cst(i64([]int{1}, 0)), cst(i64([]int{1}, 0))}, "input steps [0]: a step is 0"},
		{"slice axis out of range", "Slice", 13, nil, []arg{in(x), cst(i64([]int{1}, 0)), cst(i64([]int{1}, 1)), cst(i64([]int{1}, 2))}, "input axes: axis 2 out of range"},
		{"slice repeated axis", "Slice", 13, nil, []arg{in(x), cst(i64([]int{2}, 0, 0)), cst(i64([]int{2}, 1, 1)), cst(i64([]int{2}, 0, -2))}, "axis -2 is repeated"},
		{"slice ends length", "Slice", 13, nil, []arg{in(x), in(i64([]int{1}, 0)), in(i64([]int{2}, 1, 1))}, "input ends has 2 values, starts has 1"},
		{"slice inputs before opset 10", "Slice", 9, []graph.Attr{attrInts("starts", 0), attrInts("ends", 1)}, []arg{in(x), cst(i64([]int{1}, 0))}, "attributes before opset 10"},
		{"expand incompatible", "Expand", 13, nil, []arg{in(x), cst(i64([]int{1}, 3))}, "input shape: shapes [3 4] and [3] do not broadcast"},
		{"expand negative dim", "Expand", 13, nil, []arg{in(x), in(i64([]int{1}, -2))}, "input shape [-2]: dim 0 is negative"},
		{"constantofshape huge", "ConstantOfShape", 13, nil, []arg{in(i64([]int{2}, 1<<40, 1<<40))}, "more than 2147483648 elements"},
		{"cast to bfloat16", "Cast", 13, []graph.Attr{attrInt("to", 16)}, []arg{in(x)}, `unsupported attribute "to": cast to dtype(16)`},
		{"cast to string (opset 1)", "Cast", 1, []graph.Attr{attrStr("to", "STRING")}, []arg{in(x)}, `unsupported attribute "to": cast to string`},
		{"shape start before opset 15", "Shape", 13, []graph.Attr{attrInt("start", 1)}, []arg{in(x)}, `unsupported attribute "start"`},
	})
	for _, tc := range []struct {
		name  string
		opset int
		attrs []graph.Attr
		args  []arg
		nout  int
		want  string
	}{
		{"split sizes do not sum", 13, nil, []arg{in(x), cst(i64([]int{2}, 1, 1))}, 2, "split [1 1] sums to 2, the axis has 3"},
		{"split uneven equal parts", 13, nil, []arg{in(x)}, 2, "an axis of 3 does not split into 2 equal parts"},
		{"split num_outputs mismatch", 18, []graph.Attr{attrInt("num_outputs", 3)}, []arg{in(x)}, 2, "num_outputs is 3 but the node has 2 outputs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runOpN("Split", tc.opset, tc.attrs, tc.nout, tc.args...)
			expectNodeError(t, err, "Split", tc.want)
		})
	}
}
