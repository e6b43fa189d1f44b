package runtime

import (
	"errors"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func TestBinaryBroadcast(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		op    string
		opset int
		attrs []graph.Attr
		a, b  *graph.Tensor
		want  *graph.Tensor
	}{
		{"column plus row", "Add", 13, nil, f32([]int{3, 1}, 1, 2, 3), f32([]int{1, 4}, 10, 20, 30, 40),
			f32([]int{3, 4}, 11, 21, 31, 41, 12, 22, 32, 42, 13, 23, 33, 43)},
		{"scalar on the left", "Sub", 13, nil, f32(nil, 10), f32([]int{2, 2}, 1, 2, 3, 4), f32([]int{2, 2}, 9, 8, 7, 6)},
		{"rank-0 times rank-3", "Mul", 13, nil, f32([]int{1, 2, 1}, 2, 3), f32([]int{}, 4), f32([]int{1, 2, 1}, 8, 12)},
		{"trailing vector", "Div", 13, nil, f32([]int{2, 1, 3}, 2, 4, 6, 8, 10, 12), f32([]int{3}, 2, 4, 6),
			f32([]int{2, 1, 3}, 1, 1, 1, 4, 2.5, 2)},
		{"both sides broadcast in the middle", "Add", 13, nil, f32([]int{2, 1, 2}, 1, 2, 3, 4), f32([]int{1, 3, 1}, 10, 20, 30),
			f32([]int{2, 3, 2}, 11, 12, 21, 22, 31, 32, 13, 14, 23, 24, 33, 34)},
		{"zero-size dim", "Add", 13, nil, f32([]int{0, 3}), f32([]int{1, 3}, 1, 2, 3), f32([]int{0, 3})},
		{"float64", "Div", 13, nil, f64([]int{2}, 1, -3), f64([]int{1}, 4), f64([]int{2}, 0.25, -0.75)},
		{"uint8 add wraps", "Add", 14, nil, ints(graph.Uint8, []int{3}, 200, 255, 1), ints(graph.Uint8, []int{3}, 100, 1, 2),
			ints(graph.Uint8, []int{3}, 44, 0, 3)},
		{"uint8 sub wraps", "Sub", 14, nil, ints(graph.Uint8, []int{2}, 10, 0), ints(graph.Uint8, []int{2}, 20, 1),
			ints(graph.Uint8, []int{2}, 246, 255)},
		{"uint8 mul wraps", "Mul", 14, nil, ints(graph.Uint8, []int{2}, 16, 15), ints(graph.Uint8, []int{2}, 16, 17),
			ints(graph.Uint8, []int{2}, 0, 255)},
		{"int8 wraps", "Add", 14, nil, ints(graph.Int8, []int{2}, 127, -128), ints(graph.Int8, []int{2}, 1, -1),
			ints(graph.Int8, []int{2}, -128, 127)},
		{"int32 div truncates toward zero", "Div", 13, nil, ints(graph.Int32, []int{4}, -7, 7, -7, 7), ints(graph.Int32, []int{4}, 2, 2, -2, -2),
			ints(graph.Int32, []int{4}, -3, 3, 3, -3)},
		{"int8 min / -1 wraps", "Div", 14, nil, ints(graph.Int8, []int{1}, -128), ints(graph.Int8, []int{1}, -1), ints(graph.Int8, []int{1}, -128)},
		{"uint64 beyond int64", "Div", 13, nil, ints(graph.Uint64, []int{1}, -2), ints(graph.Uint64, []int{1}, 2),
			ints(graph.Uint64, []int{1}, 1<<63-1)},
		{"int64 broadcast", "Mul", 13, nil, i64([]int{2, 1}, 2, 3), i64([]int{3}, 1, 2, 3), i64([]int{2, 3}, 2, 4, 6, 3, 6, 9)},
		// Before opset 7, B is broadcast only with broadcast=1, aligned at axis.
		{"opset 6 broadcast at axis 1", "Add", 6, []graph.Attr{attrInt("broadcast", 1), attrInt("axis", 1)},
			f32([]int{2, 3, 2}, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1), f32([]int{3}, 10, 20, 30),
			f32([]int{2, 3, 2}, 10, 10, 20, 20, 30, 30, 11, 11, 21, 21, 31, 31)},
		{"opset 6 broadcast with a size-1 dim in B", "Add", 6, []graph.Attr{attrInt("broadcast", 1)},
			f32([]int{2, 3}, 0, 0, 0, 1, 1, 1), f32([]int{2, 1}, 10, 20), f32([]int{2, 3}, 10, 10, 10, 21, 21, 21)},
		{"opset 6 broadcast suffix", "Sub", 6, []graph.Attr{attrInt("broadcast", 1)},
			f32([]int{2, 2}, 5, 6, 7, 8), f32([]int{2}, 1, 2), f32([]int{2, 2}, 4, 4, 6, 6)},
		{"opset 5 consumed_inputs", "Mul", 5, []graph.Attr{attrInts("consumed_inputs", 0, 0)},
			f32([]int{2}, 2, 3), f32([]int{2}, 4, 5), f32([]int{2}, 8, 15)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustRunOp(t, tc.op, tc.opset, tc.attrs, in(tc.a), in(tc.b))
			expectClose(t, got, tc.want)
		})
	}
}

func TestBinaryErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		op    string
		opset int
		attrs []graph.Attr
		a, b  *graph.Tensor
		want  string
	}{
		{"shapes do not broadcast", "Add", 13, nil, f32([]int{2, 3}), f32([]int{2}), "do not broadcast"},
		{"dtypes differ", "Add", 13, nil, f32([]int{1}, 1), f64([]int{1}, 1), "dtypes differ"},
		{"integer division by zero", "Div", 13, nil, i64([]int{2}, 1, 2), i64([]int{2}, 1, 0), "division by zero"},
		{"bool arithmetic", "Add", 13, nil, ints(graph.Bool, []int{1}, 1), ints(graph.Bool, []int{1}, 0), "not supported"},
		{"opset 6 without broadcast", "Add", 6, nil, f32([]int{2, 2}), f32([]int{2}), "broadcast=0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runOp(tc.op, tc.opset, tc.attrs, in(tc.a), in(tc.b))
			var ne *NodeError
			if err == nil || !errors.As(err, &ne) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got error %v, want a *NodeError containing %q", err, tc.want)
			}
		})
	}
}

func TestUnary(t *testing.T) {
	t.Parallel()
	x := f32([]int{4}, -2, -0.5, 0, 3)
	expectClose(t, mustRunOp(t, "Relu", 13, nil, in(x)), f32([]int{4}, 0, 0, 0, 3))
	expectClose(t, mustRunOp(t, "Sigmoid", 13, nil, in(x)), f32([]int{4}, 0.11920292, 0.37754067, 0.5, 0.95257413))
	expectClose(t, mustRunOp(t, "Tanh", 13, nil, in(x)), f32([]int{4}, -0.9640276, -0.46211716, 0, 0.9950548))
	expectClose(t, mustRunOp(t, "Relu", 14, nil, in(ints(graph.Int8, []int{3}, -5, 0, 7))), ints(graph.Int8, []int{3}, 0, 0, 7))
	expectClose(t, mustRunOp(t, "Sigmoid", 13, nil, in(f64([]int{2}, -800, 800))), f64([]int{2}, 0, 1))
}
