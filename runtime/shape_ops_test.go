package runtime

import (
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func seq(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(i)
	}
	return v
}

func TestShapeOps(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 1, 3, 1}, seq(6)...)
	tests := []struct {
		name  string
		op    string
		opset int
		attrs []graph.Attr
		args  []arg
		shape []int
	}{
		{"reshape 0 copies, -1 infers", "Reshape", 13, nil, []arg{in(x), cst(i64([]int{2}, 0, -1))}, []int{2, 3}},
		{"reshape allowzero keeps a literal 0", "Reshape", 14, []graph.Attr{attrInt("allowzero", 1)},
			[]arg{in(f32([]int{0, 3})), cst(i64([]int{3}, 3, 0, 1))}, []int{3, 0, 1}},
		{"reshape opset 1 shape attribute", "Reshape", 1, []graph.Attr{attrInts("shape", 3, 2)}, []arg{in(x)}, []int{3, 2}},
		{"reshape opset 4 keeps consumed_inputs", "Reshape", 4, []graph.Attr{attrInts("shape", 6), attrInts("consumed_inputs", 0)}, []arg{in(x)}, []int{6}},
		{"squeeze all ones (opset 13, no axes)", "Squeeze", 13, nil, []arg{in(x)}, []int{2, 3}},
		{"squeeze axes input, negative", "Squeeze", 13, nil, []arg{in(x), cst(i64([]int{1}, -1))}, []int{2, 1, 3}},
		{"squeeze axes attribute (opset 11)", "Squeeze", 11, []graph.Attr{attrInts("axes", 1, -1)}, []arg{in(x)}, []int{2, 3}},
		{"squeeze opset 1", "Squeeze", 1, []graph.Attr{attrInts("axes", 3)}, []arg{in(x)}, []int{2, 1, 3}},
		{"unsqueeze input axes unsorted, negative", "Unsqueeze", 13, nil, []arg{in(f32([]int{2, 3}, seq(6)...)), cst(i64([]int{2}, -1, 0))}, []int{1, 2, 3, 1}},
		{"unsqueeze attribute (opset 11)", "Unsqueeze", 11, []graph.Attr{attrInts("axes", 1)}, []arg{in(f32([]int{2, 3}, seq(6)...))}, []int{2, 1, 3}},
		{"unsqueeze scalar", "Unsqueeze", 13, nil, []arg{in(f32([]int{}, 7)), cst(i64([]int{1}, 0))}, []int{1}},
		{"flatten default axis", "Flatten", 13, nil, []arg{in(x)}, []int{2, 3}},
		{"flatten axis 0", "Flatten", 13, []graph.Attr{attrInt("axis", 0)}, []arg{in(x)}, []int{1, 6}},
		{"flatten axis = rank", "Flatten", 13, []graph.Attr{attrInt("axis", 4)}, []arg{in(x)}, []int{6, 1}},
		{"flatten negative axis", "Flatten", 11, []graph.Attr{attrInt("axis", -1)}, []arg{in(x)}, []int{6, 1}},
		{"identity", "Identity", 13, nil, []arg{in(x)}, []int{2, 1, 3, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := mustRunOp(t, tc.op, tc.opset, tc.attrs, tc.args...)
			want := tc.args[0].t
			expectClose(t, got, &graph.Tensor{DType: want.DType, Shape: tc.shape, F32: want.F32})
		})
	}
}

func TestShapeOpErrors(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 3}, seq(6)...)
	tests := []struct {
		name  string
		op    string
		opset int
		attrs []graph.Attr
		args  []arg
	}{
		{"reshape two -1", "Reshape", 13, nil, []arg{in(x), cst(i64([]int{2}, -1, -1))}},
		{"reshape wrong count", "Reshape", 13, nil, []arg{in(x), cst(i64([]int{1}, 5))}},
		{"reshape allowzero with -1", "Reshape", 14, []graph.Attr{attrInt("allowzero", 1)}, []arg{in(x), cst(i64([]int{2}, 0, -1))}},
		{"squeeze a dim that is not 1", "Squeeze", 13, nil, []arg{in(x), cst(i64([]int{1}, 0))}},
		{"unsqueeze repeated axis", "Unsqueeze", 13, nil, []arg{in(x), cst(i64([]int{2}, 0, -4))}},
		{"unsqueeze without axes", "Unsqueeze", 13, nil, []arg{in(x)}},
		{"squeeze axes as input before 13", "Squeeze", 11, nil, []arg{in(x), cst(i64([]int{1}, 0))}},
		{"transpose bad perm", "Transpose", 13, []graph.Attr{attrInts("perm", 0, 0)}, []arg{in(x)}},
		{"concat without axis", "Concat", 13, nil, []arg{in(x), in(x)}},
		{"concat mismatched dims", "Concat", 13, []graph.Attr{attrInt("axis", 0)}, []arg{in(x), in(f32([]int{2, 2}, seq(4)...))}},
		{"flatten axis out of range", "Flatten", 13, []graph.Attr{attrInt("axis", 3)}, []arg{in(x)}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := runOp(tc.op, tc.opset, tc.attrs, tc.args...); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestTransposeConcat(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 3, 4}, seq(24)...)
	got := mustRunOp(t, "Transpose", 13, []graph.Attr{attrInts("perm", 2, 0, 1)}, in(x))
	want := graph.NewFloat32([]int{4, 2, 3}, nil)
	for i := 0; i < 2; i++ {
		for j := 0; j < 3; j++ {
			for k := 0; k < 4; k++ {
				want.F32[(k*2+i)*3+j] = x.F32[(i*3+j)*4+k]
			}
		}
	}
	expectClose(t, got, want)
	expectClose(t, mustRunOp(t, "Transpose", 13, nil, in(f32([]int{2, 3}, seq(6)...))), f32([]int{3, 2}, 0, 3, 1, 4, 2, 5))

	a, b := i64([]int{2, 1}, 1, 2), i64([]int{2, 2}, 3, 4, 5, 6)
	expectClose(t, mustRunOp(t, "Concat", 13, []graph.Attr{attrInt("axis", -1)}, in(a), in(b)), i64([]int{2, 3}, 1, 3, 4, 2, 5, 6))
	// Opset 1: axis is optional and defaults to 1.
	expectClose(t, mustRunOp(t, "Concat", 1, nil, in(a), in(b)), i64([]int{2, 3}, 1, 3, 4, 2, 5, 6))
}

func TestConstant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opset int
		attr  graph.Attr
		want  *graph.Tensor
	}{
		{"value", 13, graph.Attr{Name: "value", Type: graph.AttrTensor, T: f32([]int{2}, 1, 2)}, f32([]int{2}, 1, 2)},
		{"value_float", 13, attrFloat("value_float", 2.5), f32([]int{}, 2.5)},
		{"value_floats", 12, graph.Attr{Name: "value_floats", Type: graph.AttrFloats, Floats: []float32{1, 2, 3}}, f32([]int{3}, 1, 2, 3)},
		{"value_int", 13, attrInt("value_int", -4), i64([]int{}, -4)},
		{"value_ints", 13, attrInts("value_ints", 4, 5), i64([]int{2}, 4, 5)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectClose(t, mustRunOp(t, "Constant", tc.opset, []graph.Attr{tc.attr}), tc.want)
		})
	}
	// value_float does not exist before opset 12: an unknown attribute.
	if _, err := runOp("Constant", 11, []graph.Attr{attrFloat("value_float", 1)}); err == nil {
		t.Error("Constant-11 accepted value_float")
	}
}

func TestGemmMatMulArgMax(t *testing.T) {
	t.Parallel()
	a := f32([]int{2, 3}, 1, 2, 3, 4, 5, 6)
	b := f32([]int{3, 2}, 1, 0, 0, 1, 1, 1)
	// A·B = [[4,5],[10,11]]
	attrs := []graph.Attr{attrFloat("alpha", 2), attrFloat("beta", 0.5)}
	expectClose(t, mustRunOp(t, "Gemm", 13, attrs, in(a), in(b), in(f32([]int{2, 1}, 2, 4))), f32([]int{2, 2}, 9, 11, 22, 24))
	expectClose(t, mustRunOp(t, "Gemm", 13, []graph.Attr{attrInt("transA", 1), attrInt("transB", 1)},
		in(f32([]int{3, 2}, 1, 4, 2, 5, 3, 6)), in(f32([]int{2, 3}, 1, 0, 1, 0, 1, 1))), f32([]int{2, 2}, 4, 5, 10, 11))
	expectClose(t, mustRunOp(t, "Gemm", 11, nil, in(a), in(b)), f32([]int{2, 2}, 4, 5, 10, 11))
	if _, err := runOp("Gemm", 9, nil, in(a), in(b)); err == nil {
		t.Error("Gemm-9 accepted a missing C")
	}

	// MatMul: 1-D promotion on either side and broadcast batch dims.
	expectClose(t, mustRunOp(t, "MatMul", 13, nil, in(f32([]int{3}, 1, 2, 3)), in(b)), f32([]int{2}, 4, 5))
	expectClose(t, mustRunOp(t, "MatMul", 13, nil, in(a), in(f32([]int{3}, 1, 1, 1))), f32([]int{2}, 6, 15))
	batched := mustRunOp(t, "MatMul", 13, nil, in(f32([]int{2, 1, 1, 3}, 1, 2, 3, 4, 5, 6)), in(f32([]int{3, 3, 1}, seq(9)...)))
	wantB := f32([]int{2, 3, 1, 1}, 8, 26, 44, 17, 62, 107)
	expectClose(t, batched, wantB)
	expectClose(t, mustRunOp(t, "MatMul", 13, nil, in(i64([]int{1, 2}, 2, 3)), in(i64([]int{2, 1}, 4, 5))), i64([]int{1, 1}, 23))

	x := f32([]int{2, 3}, 1, 5, 5, 7, 2, 7)
	expectClose(t, mustRunOp(t, "ArgMax", 13, []graph.Attr{attrInt("axis", 1)}, in(x)), i64([]int{2, 1}, 1, 0))
	expectClose(t, mustRunOp(t, "ArgMax", 13, []graph.Attr{attrInt("axis", -1), attrInt("keepdims", 0), attrInt("select_last_index", 1)}, in(x)),
		i64([]int{2}, 2, 2))
	if _, err := runOp("ArgMax", 11, []graph.Attr{attrInt("select_last_index", 1)}, in(x)); err == nil {
		t.Error("ArgMax-11 accepted select_last_index")
	}
}
