package export

import (
	"errors"
	"math"
	"os"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

func TestHalfToFloat32(t *testing.T) {
	t.Parallel()
	cases := []struct {
		h    uint16
		want float32
	}{
		{0x0000, 0}, {0x3c00, 1}, {0xc000, -2}, {0x3555, 0.333251953125},
		{0x7bff, 65504},                 // largest finite
		{0x0400, 1.0 / 16384},           // smallest normal, 2⁻¹⁴
		{0x0001, 1.0 / (1 << 24)},       // smallest subnormal, 2⁻²⁴
		{0x83ff, -1023.0 / (1 << 24)},   // largest negative subnormal
		{0x7c00, float32(math.Inf(1))},  // +Inf
		{0xfc00, float32(math.Inf(-1))}, // -Inf
	}
	for _, c := range cases {
		if got := graph.Float16ToFloat32(c.h); got != c.want {
			t.Errorf("Float16ToFloat32(%#04x) = %g, want %g", c.h, got, c.want)
		}
	}
	if got := graph.Float16ToFloat32(0x8000); got != 0 || !math.Signbit(float64(got)) {
		t.Errorf("-0 → %g", got)
	}
	if got := graph.Float16ToFloat32(0x7e00); !math.IsNaN(float64(got)) {
		t.Errorf("NaN → %g", got)
	}
	if got := bfloat16ToFloat32(0x3f80); got != 1 {
		t.Errorf("bfloat16 1.0 → %g", got)
	}
}

func tensorInit(name string, dt graph.DType, dims []int64, fill func(*onnxpb.TensorProto)) *onnxpb.TensorProto {
	tp := &onnxpb.TensorProto{Name: proto.String(name), DataType: proto.Int32(int32(dt)), Dims: dims}
	fill(tp)
	return tp
}

func vinfo(name string, dt graph.DType, dims ...any) *onnxpb.ValueInfoProto {
	sh := &onnxpb.TensorShapeProto{}
	for _, d := range dims {
		dim := &onnxpb.TensorShapeProto_Dimension{}
		switch x := d.(type) {
		case int:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(x)}
		case string:
			dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: x}
		} // nil: unknown
		sh.Dim = append(sh.Dim, dim)
	}
	et := int32(dt)
	return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
		Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: &et, Shape: sh}}}}
}

// foreignModel is an IR 3 / opset 7 file in the style of old exporters:
// initializers listed as inputs, typed data fields, float16 and float64
// tensors, a Constant and an Identity node.
func foreignModel() *onnxpb.ModelProto {
	node := func(name, op string, in []string, out string, attrs ...*onnxpb.AttributeProto) *onnxpb.NodeProto {
		return &onnxpb.NodeProto{Name: proto.String(name), OpType: proto.String(op), Input: in, Output: []string{out}, Attribute: attrs}
	}
	f16 := func(xs ...uint16) func(*onnxpb.TensorProto) {
		return func(tp *onnxpb.TensorProto) {
			for _, x := range xs {
				tp.Int32Data = append(tp.Int32Data, int32(x))
			}
		}
	}
	g := &onnxpb.GraphProto{
		Name: proto.String("old"),
		Initializer: []*onnxpb.TensorProto{
			tensorInit("W", graph.Float64, []int64{1, 1, 1, 2}, func(tp *onnxpb.TensorProto) { tp.DoubleData = []float64{0.5, -1.25} }),
			tensorInit("k", graph.Float64, []int64{2}, func(tp *onnxpb.TensorProto) { tp.DoubleData = []float64{1e-300, 3} }),
			tensorInit("h", graph.Float16, []int64{3}, f16(0x3c00, 0xc000, 0x3555)),
			tensorInit("hr", graph.Float16, []int64{1}, func(tp *onnxpb.TensorProto) { tp.RawData = []byte{0x00, 0x3c} }),
			tensorInit("i8", graph.Int8, []int64{2}, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{-3, 127} }),
			tensorInit("u8", graph.Uint8, []int64{2}, func(tp *onnxpb.TensorProto) { tp.RawData = []byte{0xff, 7} }),
			tensorInit("b", graph.Bool, []int64{2}, func(tp *onnxpb.TensorProto) { tp.Int32Data = []int32{1, 0} }),
			tensorInit("u64", graph.Uint64, []int64{1}, func(tp *onnxpb.TensorProto) { tp.Uint64Data = []uint64{1 << 40} }),
			tensorInit("shape", graph.Int64, []int64{2}, func(tp *onnxpb.TensorProto) { tp.Int64Data = []int64{-1, 2} }),
			tensorInit("f", graph.Float32, []int64{}, func(tp *onnxpb.TensorProto) { tp.FloatData = []float32{2.5} }),
		},
		Input: []*onnxpb.ValueInfoProto{
			vinfo("x", graph.Float32, "n", 1, nil, 2),
			vinfo("W", graph.Float64, 1, 1, 1, 2), // initializers listed as inputs (IR < 4)
			vinfo("k", graph.Float64, 2),
		},
		Node: []*onnxpb.NodeProto{
			node("c", "Constant", nil, "cst", &onnxpb.AttributeProto{Name: proto.String("value"), Type: onnxpb.AttributeProto_TENSOR.Enum(),
				T: tensorInit("", graph.Float16, []int64{1}, f16(0x4000))}),
			node("id", "Identity", []string{"x"}, "xi"),
			node("conv", "Conv", []string{"xi", "W"}, "y",
				&onnxpb.AttributeProto{Name: proto.String("strides"), Type: onnxpb.AttributeProto_INTS.Enum(), Ints: []int64{1, 1}},
				&onnxpb.AttributeProto{Name: proto.String("auto_pad"), Type: onnxpb.AttributeProto_STRING.Enum(), S: []byte("VALID")},
				&onnxpb.AttributeProto{Name: proto.String("alpha"), Type: onnxpb.AttributeProto_FLOAT.Enum(), F: proto.Float32(0.25)},
				&onnxpb.AttributeProto{Name: proto.String("names"), Type: onnxpb.AttributeProto_STRINGS.Enum(), Strings: [][]byte{[]byte("a"), []byte("b")}},
				&onnxpb.AttributeProto{Name: proto.String("scales"), Type: onnxpb.AttributeProto_FLOATS.Enum(), Floats: []float32{1.5}},
				&onnxpb.AttributeProto{Name: proto.String("group"), Type: onnxpb.AttributeProto_INT.Enum(), I: proto.Int64(1)}),
		},
		Output:    []*onnxpb.ValueInfoProto{vinfo("y", graph.Float32, "n", 1, nil, 1), vinfo("cst", graph.Float32)},
		ValueInfo: []*onnxpb.ValueInfoProto{vinfo("xi", graph.Float32, "n", 1, 3, 2)},
	}
	return &onnxpb.ModelProto{
		IrVersion:    proto.Int64(3),
		OpsetImport:  []*onnxpb.OperatorSetIdProto{{Domain: proto.String("ai.onnx.ml"), Version: proto.Int64(1)}, {Domain: proto.String(""), Version: proto.Int64(7)}},
		ProducerName: proto.String("oldtool"),
		Graph:        g,
		MetadataProps: []*onnxpb.StringStringEntryProto{
			{Key: proto.String("author"), Value: proto.String("someone")},
		},
	}
}

func TestDecodeForeignModel(t *testing.T) {
	t.Parallel()
	raw, err := proto.Marshal(foreignModel())
	if err != nil {
		t.Fatal(err)
	}
	g, err := Unmarshal(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Opset != 7 || g.Producer != "oldtool" || g.Name != "old" || g.Config != nil {
		t.Errorf("opset %d producer %q name %q config %v", g.Opset, g.Producer, g.Name, g.Config)
	}
	if len(g.Metadata) != 1 || g.Metadata[0] != (graph.KV{Key: "author", Value: "someone"}) {
		t.Errorf("metadata %v", g.Metadata)
	}
	if len(g.Inputs) != 1 || g.Inputs[0].Name != "x" {
		t.Fatalf("inputs %v: initializers listed as inputs must be dropped", g.Inputs)
	}
	x := g.Inputs[0]
	if !slices.Equal(x.Shape, []int{-1, 1, -1, 2}) || !slices.Equal(x.DimNames, []string{"n", "", "", ""}) {
		t.Errorf("x shape %v names %q", x.Shape, x.DimNames)
	}
	get := func(name string) *graph.Tensor {
		v := g.Init(name)
		if v == nil {
			t.Fatalf("no initializer %s", name)
		}
		if v.DType != v.Const.DType {
			t.Errorf("%s: value type %v, tensor %v", name, v.DType, v.Const.DType)
		}
		return v.Const
	}
	if w := get("W"); w.DType != graph.Float32 || !slices.Equal(w.F32, []float32{0.5, -1.25}) {
		t.Errorf("Conv weight W: %v %v, want float32 (converted from float64)", w.DType, w.F32)
	}
	if k := get("k"); k.DType != graph.Float64 || !slices.Equal(k.F64, []float64{1e-300, 3}) {
		t.Errorf("k: %v %v, want float64 kept", k.DType, k.F64)
	}
	if h := get("h"); h.DType != graph.Float16 || !slices.Equal(h.F32, []float32{1, -2, 0.333251953125}) { // kept float16, values in F32
		t.Errorf("h: %v %v", h.DType, h.F32)
	}
	if h := get("hr"); !slices.Equal(h.F32, []float32{1}) {
		t.Errorf("hr: %v", h.F32)
	}
	for name, want := range map[string][]int64{"i8": {-3, 127}, "u8": {255, 7}, "b": {1, 0}, "u64": {1 << 40}, "shape": {-1, 2}} {
		if got := get(name).I64; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	if f := get("f"); len(f.Shape) != 0 || !slices.Equal(f.F32, []float32{2.5}) {
		t.Errorf("scalar f: %v %v", f.Shape, f.F32)
	}
	ops := []string{}
	for _, n := range g.Nodes {
		ops = append(ops, n.Op)
	}
	if !slices.Equal(ops, []string{"Constant", "Identity", "Conv"}) {
		t.Fatalf("ops %v: Constant and Identity nodes stay", ops)
	}
	cst, _ := g.Nodes[0].Attr("value")
	if cst.Type != graph.AttrTensor || cst.T.DType != graph.Float16 || !slices.Equal(cst.T.F32, []float32{2}) {
		t.Errorf("Constant value %+v", cst)
	}
	conv := g.Nodes[2]
	var names []string
	for _, a := range conv.Attrs {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"strides", "auto_pad", "alpha", "names", "scales", "group"}) {
		t.Errorf("attribute order %v", names)
	}
	if conv.StringAttr("auto_pad", "") != "VALID" || conv.FloatAttr("alpha", 0) != 0.25 || conv.IntAttr("group", 0) != 1 {
		t.Errorf("attributes %+v", conv.Attrs)
	}
	if xi := g.Nodes[1].Outputs[0]; !slices.Equal(xi.Shape, []int{-1, 1, 3, 2}) {
		t.Errorf("value_info type not applied: %v", xi.TypeString())
	}
	if y := g.Outputs[0]; y.Producer != conv || y.TypeString() != "float32[n,1,?,1]" {
		t.Errorf("output y %v", y.TypeString())
	}
	// Re-encoding a decoded foreign model is stable.
	a, err := Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	g2, err := Unmarshal(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(g2, nil)
	if err != nil || string(a) != string(b) {
		t.Errorf("re-encoding is not stable (err %v)", err)
	}
}

func TestDecodeMinOpset(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("testdata/fuzz/seeds/pytorch_Conv2d_depthwise.onnx") // IR 3, opset 6
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnsupportedError
	if _, err := Unmarshal(raw, &DecodeOptions{MinOpset: 7}); !errors.As(err, &ue) || ue.Opset != 6 {
		t.Errorf("opset 6 with MinOpset 7: %v", err)
	}
	g, err := Unmarshal(raw, nil) // read from opset 1 by default
	if err != nil {
		t.Fatal(err)
	}
	if g.Opset != 6 || len(g.Nodes) != 1 || g.Nodes[0].Op != "Conv" || len(g.Inputs) != 1 {
		t.Errorf("opset %d nodes %d inputs %d", g.Opset, len(g.Nodes), len(g.Inputs))
	}
}
