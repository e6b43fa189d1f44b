package export

import (
	"encoding/binary"
	"errors"
	"math"
	goruntime "runtime"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// smallProto is our small PixelCNN as a ModelProto, ready to be broken.
func smallProto(t *testing.T) *onnxpb.ModelProto {
	t.Helper()
	m, err := toProto(mustPixelCNN(t, testenv.TinyConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func initNamed(m *onnxpb.ModelProto, name string) *onnxpb.TensorProto {
	for _, tp := range m.Graph.Initializer {
		if tp.GetName() == name {
			return tp
		}
	}
	panic("no initializer " + name)
}

func setMeta(m *onnxpb.ModelProto, key, value string) {
	for _, kv := range m.MetadataProps {
		if kv.GetKey() == key {
			kv.Value = proto.String(value)
			return
		}
	}
	panic("no metadata " + key)
}

// tinyProto is a one-node model (Relu) with no initializers.
func tinyProto() *onnxpb.ModelProto {
	f := int32(graph.Float32)
	vi := func(name string) *onnxpb.ValueInfoProto {
		return &onnxpb.ValueInfoProto{Name: proto.String(name), Type: &onnxpb.TypeProto{
			Value: &onnxpb.TypeProto_TensorType{TensorType: &onnxpb.TypeProto_Tensor{ElemType: &f}}}}
	}
	return &onnxpb.ModelProto{
		IrVersion:   proto.Int64(8),
		OpsetImport: []*onnxpb.OperatorSetIdProto{{Version: proto.Int64(13)}},
		Graph: &onnxpb.GraphProto{
			Node:   []*onnxpb.NodeProto{{Name: proto.String("r"), OpType: proto.String("Relu"), Input: []string{"x"}, Output: []string{"y"}}},
			Input:  []*onnxpb.ValueInfoProto{vi("x")},
			Output: []*onnxpb.ValueInfoProto{vi("y")},
		},
	}
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	type want struct {
		unsupported bool     // *UnsupportedError, else *FormatError
		where       Where    // fields that must be set as given (zero fields unchecked)
		says        []string // substrings of the message
	}
	cases := []struct {
		name   string
		raw    []byte // used when non-nil
		break_ func(m *onnxpb.ModelProto)
		want   want
	}{
		{name: "malformed varint", raw: []byte{0x08, 0xff, 0xff, 0xff},
			want: want{says: []string{"protobuf"}}},
		{name: "node input undefined", break_: func(m *onnxpb.ModelProto) { m.Graph.Node[2].Input[0] = "nowhere" },
			want: want{where: Where{Node: "res00/a", Op: "Conv"}, says: []string{`"nowhere"`, "not defined", `"res00/a"`}}},
		{name: "unsorted nodes", break_: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0], m.Graph.Node[1] = m.Graph.Node[1], m.Graph.Node[0]
		}, want: want{where: Where{Node: "res00/relu1", Op: "Relu"}, says: []string{"topologically sorted", `"in"`}}},
		{name: "duplicate output", break_: func(m *onnxpb.ModelProto) { m.Graph.Node[2].Output[0] = m.Graph.Node[1].Output[0] },
			want: want{where: Where{Node: "res00/a", Op: "Conv"}, says: []string{"already defined"}}},
		{name: "output shadows an initializer", break_: func(m *onnxpb.ModelProto) { m.Graph.Node[0].Output[0] = "in/W" },
			want: want{where: Where{Node: "in"}, says: []string{`"in/W"`, "already defined"}}},
		{name: "unknown attribute type", break_: func(m *onnxpb.ModelProto) {
			for _, a := range m.Graph.Node[0].Attribute {
				if a.GetName() == "kernel_shape" {
					a.Type = onnxpb.AttributeProto_AttributeType(99).Enum()
				}
			}
		}, want: want{where: Where{Node: "in", Op: "Conv", Attr: "kernel_shape"}, says: []string{"unknown type", `attribute "kernel_shape"`}}},
		{name: "graph attribute", break_: func(m *onnxpb.ModelProto) {
			m.Graph.Node[0].Attribute = append(m.Graph.Node[0].Attribute, &onnxpb.AttributeProto{
				Name: proto.String("body"), Type: onnxpb.AttributeProto_GRAPH.Enum(), G: &onnxpb.GraphProto{}})
		}, want: want{unsupported: true, where: Where{Node: "in", Op: "Conv", Attr: "body"}, says: []string{"GRAPH", `"in"`, "Conv", `"body"`}}},
		{name: "opset 0", break_: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(0) },
			want: want{unsupported: true, where: Where{Field: "opset_import"}, says: []string{"opset 0 is outside 1..21"}}},
		{name: "opset 22", break_: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Version = proto.Int64(22) },
			want: want{unsupported: true, where: Where{Opset: 22}, says: []string{"opset 22"}}},
		{name: "no default opset", break_: func(m *onnxpb.ModelProto) { m.OpsetImport[0].Domain = proto.String("ai.onnx.ml") },
			want: want{where: Where{Node: "in", Op: "Conv"}, says: []string{"no default-domain opset"}}},
		{name: "ir_version 11", break_: func(m *onnxpb.ModelProto) { m.IrVersion = proto.Int64(11) },
			want: want{unsupported: true, where: Where{Field: "ir_version"}, says: []string{"IR version 11"}}},
		{name: "ir_version missing", break_: func(m *onnxpb.ModelProto) { m.IrVersion = nil },
			want: want{where: Where{Field: "ir_version"}}},
		{name: "ml domain", break_: func(m *onnxpb.ModelProto) { m.Graph.Node[1].Domain = proto.String("ai.onnx.ml") },
			want: want{unsupported: true, where: Where{Node: "res00/relu1", Domain: "ai.onnx.ml"}, says: []string{`"ai.onnx.ml"`, `"res00/relu1"`}}},
		{name: "negative dims", break_: func(m *onnxpb.ModelProto) { initNamed(m, "in/B").Dims[0] = -8 },
			want: want{where: Where{Tensor: "in/B"}, says: []string{"negative", `"in/B"`}}},
		{name: "negative input dim", break_: func(m *onnxpb.ModelProto) {
			m.Graph.Input[0].Type.GetTensorType().Shape.Dim[1].Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: -1}
		}, want: want{where: Where{Tensor: "pixels", Field: "input[0]"}, says: []string{"negative"}}},
		{name: "raw_data length mismatch", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "res01/b/W")
			tp.RawData = tp.RawData[:len(tp.RawData)-4]
		}, want: want{where: Where{Tensor: "res01/b/W", Field: "raw_data"}, says: []string{"572 bytes", "576"}}},
		{name: "typed field length mismatch", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "in/B")
			tp.RawData, tp.FloatData = nil, []float32{1, 2, 3}
		}, want: want{where: Where{Tensor: "in/B", Field: "float_data"}, says: []string{"3 values", "need 8"}}},
		{name: "wrong typed field", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "in/B")
			tp.RawData, tp.Int64Data = nil, make([]int64, 8)
		}, want: want{where: Where{Tensor: "in/B", Field: "int64_data"}}},
		{name: "raw and typed data", break_: func(m *onnxpb.ModelProto) { initNamed(m, "in/B").FloatData = make([]float32, 8) },
			want: want{where: Where{Tensor: "in/B", Field: "raw_data"}}},
		{name: "dims overflow", break_: func(m *onnxpb.ModelProto) { initNamed(m, "in/B").Dims = []int64{1 << 40, 1 << 40} },
			want: want{where: Where{Tensor: "in/B"}, says: []string{"overflow"}}},
		{name: "string tensor", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "in/B")
			tp.DataType, tp.RawData, tp.StringData = proto.Int32(int32(graph.String)), nil, make([][]byte, 8)
		}, want: want{unsupported: true, where: Where{Tensor: "in/B"}, says: []string{"string"}}},
		{name: "duplicate initializer", break_: func(m *onnxpb.ModelProto) {
			m.Graph.Initializer = append(m.Graph.Initializer, initNamed(m, "in/B"))
		}, want: want{where: Where{Tensor: "in/B"}, says: []string{"twice"}}},
		{name: "output undefined", break_: func(m *onnxpb.ModelProto) { m.Graph.Output[0].Name = proto.String("ghost") },
			want: want{where: Where{Tensor: "ghost", Field: "output[0]"}}},
		{name: "external data without a folder", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "in/B")
			tp.RawData = nil
			tp.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
			tp.ExternalData = []*onnxpb.StringStringEntryProto{{Key: proto.String("location"), Value: proto.String("w.bin")}}
		}, want: want{unsupported: true, where: Where{Tensor: "in/B", Field: "external_data"}}},
		{name: "mask on a missing tensor", break_: func(m *onnxpb.ModelProto) {
			setMeta(m, MetaMasks, `{"in/W":"A","nope/W":"B"}`)
		}, want: want{where: Where{Tensor: "nope/W"}, says: []string{`"nope/W"`, "pixelgraph.masks"}}},
		{name: "bad mask kind", break_: func(m *onnxpb.ModelProto) { setMeta(m, MetaMasks, `{"in/W":"C"}`) },
			want: want{where: Where{Tensor: "in/W"}}},
		{name: "mask on a bias", break_: func(m *onnxpb.ModelProto) { setMeta(m, MetaMasks, `{"in/B":"A"}`) },
			want: want{where: Where{Tensor: "in/B"}}},
		{name: "non-zero masked tap", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "res00/b/W") // [4,4,3,3]; tap (2,2) of kernel [1,2] is hidden by mask B
			i := (1*4+2)*9 + 2*3 + 2
			binary.LittleEndian.PutUint32(tp.RawData[4*i:], math.Float32bits(0.5))
		}, want: want{where: Where{Tensor: "res00/b/W"}, says: []string{"res00/b/W", "[1,2,2,2]", "0.5"}}},
		{name: "mask on an empty tensor with huge kernel", break_: func(m *onnxpb.ModelProto) {
			tp := initNamed(m, "in/W")
			tp.Dims, tp.RawData = []int64{0, 1, 1e9 + 1, 1e9 + 1}, []byte{}
		}, want: want{where: Where{Tensor: "in/W"}, says: []string{"empty"}}},
		{name: "levels disagree", break_: func(m *onnxpb.ModelProto) { setMeta(m, MetaLevels, "16") },
			want: want{where: Where{Field: "metadata_props[pixelgraph.levels]"}}},
		{name: "bad config", break_: func(m *onnxpb.ModelProto) { setMeta(m, MetaConfig, `{"levels":1}`) },
			want: want{where: Where{Field: "metadata_props[pixelgraph.config]"}, says: []string{"Levels"}}},
		{name: "duplicate metadata", break_: func(m *onnxpb.ModelProto) {
			m.MetadataProps = append(m.MetadataProps, m.MetadataProps[0])
		}, want: want{says: []string{"twice"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw := c.raw
			if raw == nil {
				m := smallProto(t)
				c.break_(m)
				var err error
				if raw, err = proto.Marshal(m); err != nil {
					t.Fatal(err)
				}
			}
			_, err := Unmarshal(raw, nil)
			if err == nil {
				t.Fatal("decoded without error")
			}
			var got Where
			var fe *FormatError
			var ue *UnsupportedError
			switch {
			case c.want.unsupported && errors.As(err, &ue):
				got = ue.Where
			case !c.want.unsupported && errors.As(err, &fe):
				got = fe.Where
			default:
				t.Fatalf("got %T %v, want unsupported=%v", err, err, c.want.unsupported)
			}
			checkWhere(t, got, c.want.where)
			if c.want.unsupported && !strings.Contains(err.Error(), "unsupported") {
				t.Errorf("message lacks the word unsupported: %v", err)
			}
			for _, s := range c.want.says {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("message lacks %q: %v", s, err)
				}
			}
		})
	}
}

// checkWhere compares the fields set in want.
func checkWhere(t *testing.T, got, want Where) {
	t.Helper()
	type f struct {
		name      string
		got, want any
		set       bool
	}
	for _, x := range []f{
		{"Node", got.Node, want.Node, want.Node != ""}, {"Op", got.Op, want.Op, want.Op != ""},
		{"Domain", got.Domain, want.Domain, want.Domain != ""}, {"Attr", got.Attr, want.Attr, want.Attr != ""},
		{"Opset", got.Opset, want.Opset, want.Opset != 0}, {"Tensor", got.Tensor, want.Tensor, want.Tensor != ""},
		{"Field", got.Field, want.Field, want.Field != ""},
	} {
		if x.set && x.got != x.want {
			t.Errorf("%s = %v, want %v (error at %+v)", x.name, x.got, x.want, got)
		}
	}
}

func TestDecodeMaskTapErrorUnwraps(t *testing.T) {
	t.Parallel()
	m := smallProto(t)
	tp := initNamed(m, "in/W") // [8,1,7,7]; the centre (3,3) is hidden by mask A
	binary.LittleEndian.PutUint32(tp.RawData[4*(3*7+3):], math.Float32bits(-1))
	raw, _ := proto.Marshal(m)
	_, err := Unmarshal(raw, nil)
	var tap *graph.MaskTapError
	if !errors.As(err, &tap) || tap.Tensor != "in/W" || tap.Row != 3 || tap.Col != 3 || tap.Mask != graph.MaskA {
		t.Fatalf("got %v, want a MaskTapError at in/W (3,3)", err)
	}
}

// TestDecodeHugeClaim: a file of a few bytes that declares a [1e9,1e9]
// float tensor fails without allocating it: the decode allocates under
// 64 KiB (a bound on work, not on time; not parallel, so that no other test
// allocates meanwhile).
func TestDecodeHugeClaim(t *testing.T) {
	m := tinyProto()
	m.Graph = &onnxpb.GraphProto{Initializer: []*onnxpb.TensorProto{{
		Dims: []int64{1e9, 1e9}, DataType: proto.Int32(int32(graph.Float32)), Name: proto.String("w")}}}
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > 40 {
		t.Fatalf("test file is %d bytes", len(raw))
	}
	var m0, m1 goruntime.MemStats
	goruntime.ReadMemStats(&m0)
	_, err = Unmarshal(raw, nil)
	goruntime.ReadMemStats(&m1)
	var fe *FormatError
	if !errors.As(err, &fe) || fe.Tensor != "w" {
		t.Fatalf("got %v, want FormatError on w", err)
	}
	if n := m1.TotalAlloc - m0.TotalAlloc; n > 64<<10 {
		t.Errorf("decoding a %d-byte file allocated %d bytes", len(raw), n)
	} else {
		t.Logf("%d-byte file: %d bytes allocated; %v", len(raw), n, err)
	}
}

func TestDecodeMaxBytes(t *testing.T) {
	t.Parallel()
	raw, err := Marshal(mustPixelCNN(t, testenv.TinyConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnsupportedError
	if _, err := Unmarshal(raw, &DecodeOptions{MaxBytes: 1000}); !errors.As(err, &ue) || !strings.Contains(err.Error(), "MaxBytes") {
		t.Errorf("tensor budget: %v", err)
	}
	if _, err := Decode(strings.NewReader(string(raw)), &DecodeOptions{MaxBytes: int64(len(raw) - 1)}); !errors.As(err, &ue) {
		t.Errorf("file size: %v", err)
	}
}
