package runtime

import (
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// TestOpsetForms: each op read with the attributes and inputs of the opset
// it was redefined in (the backend suites cover the newest forms; these are
// the old ones torch.onnx 1.x and Caffe2-era files carry).
func TestOpsetForms(t *testing.T) {
	t.Parallel()
	x := f32([]int{1, 1, 2, 3}, -3, -1, 0, 1, 2, 4)
	row := f32([]int{1, 3}, 1, 2, 3)
	runOpCases(t, []opCase{
		{"pad-1 paddings attribute", "Pad", 1, []graph.Attr{attrInts("paddings", 0, 1, 0, 2), attrFloat("value", 9)}, []arg{in(row)},
			f32([]int{1, 6}, 9, 1, 2, 3, 9, 9)},
		{"pad-2 negative pads crop", "Pad", 2, []graph.Attr{attrInts("pads", 0, -1, 0, 1), attrStr("mode", "edge")}, []arg{in(row)},
			f32([]int{1, 3}, 2, 3, 3)},
		{"pad-11 reflect beyond the edge (numpy)", "Pad", 11, []graph.Attr{attrStr("mode", "reflect")}, []arg{in(row), cst(i64([]int{4}, 0, 4, 0, 3))},
			f32([]int{1, 10}, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2)},
		{"pad-11 constant_value input", "Pad", 11, nil, []arg{in(row), cst(i64([]int{4}, 1, 0, 0, 0)), cst(f32([]int{}, -5))},
			f32([]int{2, 3}, -5, -5, -5, 1, 2, 3)},
		{"pad-18 axes input", "Pad", 18, nil, []arg{in(row), cst(i64([]int{2}, 1, 1)), {}, cst(i64([]int{1}, -1))},
			f32([]int{1, 5}, 0, 1, 2, 3, 0)},
		{"pad-19 wrap", "Pad", 19, []graph.Attr{attrStr("mode", "wrap")}, []arg{in(row), cst(i64([]int{4}, 0, 2, 0, 1))},
			f32([]int{1, 6}, 2, 3, 1, 2, 3, 1)},
		{"clip-1 without bounds", "Clip", 1, []graph.Attr{attrInts("consumed_inputs", 0)}, []arg{in(row)}, row},
		{"clip-6 attributes", "Clip", 6, []graph.Attr{attrFloat("min", 1.5), attrFloat("max", 2.5)}, []arg{in(row)}, f32([]int{1, 3}, 1.5, 2, 2.5)},
		{"clip-11 max input only", "Clip", 11, nil, []arg{in(row), {}, cst(f32([]int{}, 2))}, f32([]int{1, 3}, 1, 2, 2)},
		{"clip-12 int8", "Clip", 12, nil, []arg{in(ints(graph.Int8, []int{3}, -100, 0, 100)), cst(ints(graph.Int8, []int{}, -5)), cst(ints(graph.Int8, []int{}, 5))},
			ints(graph.Int8, []int{3}, -5, 0, 5)},
		{"elu-1 consumed_inputs", "Elu", 1, []graph.Attr{attrInts("consumed_inputs", 0), attrFloat("alpha", 2)}, []arg{in(f32([]int{2}, -1, 1))},
			f32([]int{2}, float32(2*math.Expm1(-1)), 1)},
		{"leakyrelu default alpha", "LeakyRelu", 16, nil, []arg{in(f32([]int{2}, -1, 1))}, f32([]int{2}, -0.01, 1)},
		{"neg-6 int8 wraps", "Neg", 6, nil, []arg{in(ints(graph.Int8, []int{2}, -128, 5))}, ints(graph.Int8, []int{2}, -128, -5)},
		{"softplus large input", "Softplus", 1, nil, []arg{in(f32([]int{2}, 100, -100))}, f32([]int{2}, 100, float32(math.Exp(-100)))},
		{"max-6 same shapes", "Max", 6, nil, []arg{in(row), in(f32([]int{1, 3}, 3, 2, 1))}, f32([]int{1, 3}, 3, 2, 3)},
		{"min-8 broadcast, NaN propagates", "Min", 8, nil, []arg{in(f32([]int{2, 1}, float32(math.NaN()), 2)), in(row)},
			f32([]int{2, 3}, float32(math.NaN()), float32(math.NaN()), float32(math.NaN()), 1, 2, 2)},
		{"mean of three", "Mean", 13, nil, []arg{in(row), in(row), in(f32([]int{1}, 3))}, f32([]int{1, 3}, 5.0/3, 7.0/3, 3)},
		{"sum of one copies", "Sum", 8, nil, []arg{in(row)}, row},
		{"batchnorm-1 is_test", "BatchNormalization", 1, []graph.Attr{attrInts("consumed_inputs", 0, 0, 0, 1, 1), attrInt("is_test", 1), attrFloat("epsilon", 0)},
			[]arg{in(x), cst(f32([]int{1}, 2)), cst(f32([]int{1}, 1)), cst(f32([]int{1}, 1)), cst(f32([]int{1}, 4))},
			f32([]int{1, 1, 2, 3}, -3, -1, 0, 1, 2, 4)},
		{"batchnorm-7 spatial=0 (per activation)", "BatchNormalization", 7, []graph.Attr{attrInt("spatial", 0), attrFloat("epsilon", 0)},
			[]arg{in(f32([]int{1, 2}, 3, 5)), cst(f32([]int{2}, 1, 2)), cst(f32([]int{2}, 0, 1)), cst(f32([]int{2}, 1, 1)), cst(f32([]int{2}, 1, 4))},
			f32([]int{1, 2}, 2, 5)},
		{"globalaveragepool", "GlobalAveragePool", 1, nil, []arg{in(x)}, f32([]int{1, 1, 1, 1}, 0.5)},
		{"averagepool-1 no count_include_pad attr (counts input only)", "AveragePool", 1,
			[]graph.Attr{attrInts("kernel_shape", 2, 2), attrInts("pads", 1, 1, 0, 0)}, []arg{in(x)}, f32([]int{1, 1, 2, 3}, -3, -2, -0.5, -1, -0.25, 1.25)},
		{"maxpool-1 strides default 1", "MaxPool", 1, []graph.Attr{attrInts("kernel_shape", 1, 2)}, []arg{in(x)}, f32([]int{1, 1, 2, 2}, -1, 0, 2, 4)},
		{"maxpool-10 ceil_mode keeps a window starting inside", "MaxPool", 10, []graph.Attr{attrInts("kernel_shape", 1, 2), attrInts("strides", 1, 2), attrInt("ceil_mode", 1)},
			[]arg{in(x)}, f32([]int{1, 1, 2, 2}, -1, 0, 2, 4)},
		{"convtranspose-1 output_shape, odd padding at the end", "ConvTranspose", 1, []graph.Attr{attrInts("strides", 2), attrInts("output_shape", 4)},
			[]arg{in(f32([]int{1, 1, 2}, 1, 2)), cst(f32([]int{1, 1, 3}, 1, 1, 1))}, f32([]int{1, 1, 4}, 1, 1, 3, 2)},
		{"convtranspose-11 output_shape, odd padding at the start", "ConvTranspose", 11, []graph.Attr{attrInts("strides", 2), attrInts("output_shape", 4)},
			[]arg{in(f32([]int{1, 1, 2}, 1, 2)), cst(f32([]int{1, 1, 3}, 1, 1, 1))}, f32([]int{1, 1, 4}, 1, 3, 2, 2)},
	})
}

// TestDropoutInference: Dropout passes its input through with an all-ones
// mask (the data's type before opset 10, bool after); training is refused.
func TestDropoutInference(t *testing.T) {
	t.Parallel()
	x := f32([]int{2}, 1, -2)
	for _, tc := range []struct {
		opset int
		attrs []graph.Attr
		args  []arg
		mask  *graph.Tensor
	}{
		{6, []graph.Attr{attrInt("is_test", 1), attrFloat("ratio", 0.3)}, []arg{in(x)}, f32([]int{2}, 1, 1)},
		{7, []graph.Attr{attrFloat("ratio", 0.3)}, []arg{in(x)}, f32([]int{2}, 1, 1)},
		{10, nil, []arg{in(x)}, ints(graph.Bool, []int{2}, 1, 1)},
		{13, []graph.Attr{attrInt("seed", 3)}, []arg{in(x), cst(f32([]int{}, 0.5)), cst(ints(graph.Bool, []int{}, 0))}, ints(graph.Bool, []int{2}, 1, 1)},
		{13, nil, []arg{in(x), cst(f32([]int{}, 0)), in(ints(graph.Bool, []int{}, 1))}, ints(graph.Bool, []int{2}, 1, 1)},
	} {
		got, err := runOpN("Dropout", tc.opset, tc.attrs, 2, tc.args...)
		if err != nil {
			t.Fatalf("opset %d: %v", tc.opset, err)
		}
		expectClose(t, got[0], x)
		expectClose(t, got[1], tc.mask)
	}
	for _, tc := range []struct {
		name  string
		opset int
		attrs []graph.Attr
		args  []arg
		want  string
	}{
		{"is_test=0", 6, nil, []arg{in(x)}, `unsupported attribute "is_test": is_test=0 (training mode)`},
		{"training_mode true with a ratio", 13, nil, []arg{in(x), cst(f32([]int{}, 0.5)), in(ints(graph.Bool, []int{}, 1))},
			"input training_mode is true and ratio is not 0"},
	} {
		_, err := runOpN("Dropout", tc.opset, tc.attrs, 1, tc.args...)
		expectNodeError(t, err, "Dropout", tc.want)
	}
}

// TestPadErrors: out-of-range pads are one-line errors naming node, op and
// input pads, at compile time when they are constants.
func TestPadErrors(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 3}, seq(6)...)
	runOpErrCases(t, []opErrCase{
		{"crop below zero", "Pad", 13, nil, []arg{in(x), cst(i64([]int{4}, 0, -2, 0, -2))}, "input pads [0 -2 0 -2]: axis 1 of size 3 would have size -1"},
		{"crop below zero, pads fed at run time", "Pad", 13, nil, []arg{in(x), in(i64([]int{4}, -3, 0, 0, 0))}, "axis 0 of size 2 would have size -1"},
		{"wrong count", "Pad", 13, nil, []arg{in(x), cst(i64([]int{2}, 1, 1))}, "input pads [1 1] has 2 values, want 4"},
		{"out of range", "Pad", 13, nil, []arg{in(x), cst(i64([]int{4}, math.MaxInt64, 0, math.MaxInt64, 0))}, "9223372036854775807 is out of range"},
		{"huge", "Pad", 13, nil, []arg{in(x), in(i64([]int{4}, 1<<30, 0, 0, 1<<30))}, "the output has more than 2147483648 elements"},
		{"reflect of an empty axis", "Pad", 13, []graph.Attr{attrStr("mode", "reflect")}, []arg{in(f32([]int{0, 3})), in(i64([]int{4}, 1, 0, 0, 0))},
			"mode reflect cannot pad axis 0 of size 0"},
		{"wrap before opset 19", "Pad", 18, []graph.Attr{attrStr("mode", "wrap")}, []arg{in(x), cst(i64([]int{4}, 0, 0, 0, 0))}, `unsupported attribute "mode": wrap is defined from opset 19`},
		{"constant_value of another type", "Pad", 13, nil, []arg{in(x), cst(i64([]int{4}, 0, 0, 0, 0)), in(i64([]int{}, 1))}, "input constant_value is int64[], want one float32 value"},
		{"pads as input before opset 11", "Pad", 10, []graph.Attr{attrInts("pads", 0, 0, 0, 0)}, []arg{in(x), cst(i64([]int{4}, 0, 0, 0, 0))}, "pads is an attribute before opset 11"},
	})
}
