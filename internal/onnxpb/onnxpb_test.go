package onnxpb

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// onnxTestdata returns the data directory of the ONNX backend test suite
// (Debian's libonnx-testdata). A missing suite fails the test, on CI always
// (testenv.Unavailable).
func onnxTestdata(t *testing.T) string {
	t.Helper()
	return testenv.BackendTestData(t)
}

func readModel(t *testing.T, path string) (*ModelProto, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := new(ModelProto)
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m, b
}

func readTensor(t *testing.T, path string) (*TensorProto, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m := new(TensorProto)
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m, b
}

// unknownFields reports the paths of all messages in m (recursively) that
// carry fields not described by the schema.
func unknownFields(m protoreflect.Message, path string) []string {
	var out []string
	if len(m.GetUnknown()) > 0 {
		out = append(out, path)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind && fd.Kind() != protoreflect.GroupKind {
			return true
		}
		p := path + "." + string(fd.Name())
		if fd.IsList() {
			l := v.List()
			for i := 0; i < l.Len(); i++ {
				out = append(out, unknownFields(l.Get(i).Message(), fmt.Sprintf("%s[%d]", p, i))...)
			}
		} else {
			out = append(out, unknownFields(v.Message(), p)...)
		}
		return true
	})
	return out
}

// checkRoundTrip checks that m, decoded from orig, has no unknown fields and
// re-encodes deterministically to exactly orig.
func checkRoundTrip(t *testing.T, name string, m proto.Message, orig []byte) {
	t.Helper()
	if u := unknownFields(m.ProtoReflect(), "$"); len(u) > 0 {
		t.Errorf("%s: unknown fields at %v", name, u)
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatalf("%s: marshal: %v", name, err)
	}
	if !bytes.Equal(out, orig) {
		i := 0
		for i < len(out) && i < len(orig) && out[i] == orig[i] {
			i++
		}
		t.Errorf("%s: re-encoding differs: %d bytes in, %d bytes out, first difference at offset %d", name, len(orig), len(out), i)
	}
}

func dims(ts *TensorShapeProto) []int64 {
	var d []int64
	for _, x := range ts.GetDim() {
		d = append(d, x.GetDimValue())
	}
	return d
}

func TestConvWithStridesPadding(t *testing.T) {
	dir := filepath.Join(onnxTestdata(t), "node", "test_conv_with_strides_padding")
	m, _ := readModel(t, filepath.Join(dir, "model.onnx"))

	if got := m.GetIrVersion(); got != 6 {
		t.Errorf("ir_version = %d, want 6", got)
	}
	if got := m.GetProducerName(); got != "backend-test" {
		t.Errorf("producer_name = %q, want backend-test", got)
	}
	if os := m.GetOpsetImport(); len(os) != 1 || os[0].GetDomain() != "" || os[0].GetVersion() != 11 {
		t.Errorf("opset_import = %v, want [{\"\" 11}]", os)
	}
	g := m.GetGraph()
	if g.GetName() != "test_conv_with_strides_padding" {
		t.Errorf("graph.name = %q", g.GetName())
	}
	if len(g.GetNode()) != 1 {
		t.Fatalf("got %d nodes, want 1", len(g.GetNode()))
	}
	n := g.GetNode()[0]
	if n.GetOpType() != "Conv" || n.GetDomain() != "" {
		t.Errorf("node op_type/domain = %q/%q, want Conv/\"\"", n.GetOpType(), n.GetDomain())
	}
	if !slices.Equal(n.GetInput(), []string{"x", "W"}) || !slices.Equal(n.GetOutput(), []string{"y"}) {
		t.Errorf("node input/output = %v/%v", n.GetInput(), n.GetOutput())
	}
	wantAttrs := map[string][]int64{
		"kernel_shape": {3, 3},
		"pads":         {1, 1, 1, 1},
		"strides":      {2, 2},
	}
	if len(n.GetAttribute()) != len(wantAttrs) {
		t.Errorf("got %d attributes, want %d", len(n.GetAttribute()), len(wantAttrs))
	}
	for _, a := range n.GetAttribute() {
		want, ok := wantAttrs[a.GetName()]
		if !ok {
			t.Errorf("unexpected attribute %q", a.GetName())
			continue
		}
		if a.GetType() != AttributeProto_INTS || !slices.Equal(a.GetInts(), want) {
			t.Errorf("attribute %s = %v %v, want INTS %v", a.GetName(), a.GetType(), a.GetInts(), want)
		}
	}
	wantIn := map[string][]int64{"x": {1, 1, 7, 5}, "W": {1, 1, 3, 3}}
	for _, vi := range g.GetInput() {
		tt := vi.GetType().GetTensorType()
		if tt == nil {
			t.Fatalf("input %s: type is not a tensor: %v", vi.GetName(), vi.GetType())
		}
		if TensorProto_DataType(tt.GetElemType()) != TensorProto_FLOAT {
			t.Errorf("input %s elem_type = %d, want FLOAT", vi.GetName(), tt.GetElemType())
		}
		if !slices.Equal(dims(tt.GetShape()), wantIn[vi.GetName()]) {
			t.Errorf("input %s shape = %v, want %v", vi.GetName(), dims(tt.GetShape()), wantIn[vi.GetName()])
		}
	}
	if out := g.GetOutput(); len(out) != 1 || out[0].GetName() != "y" ||
		!slices.Equal(dims(out[0].GetType().GetTensorType().GetShape()), []int64{1, 1, 4, 3}) {
		t.Errorf("graph output = %v", out)
	}

	x, _ := readTensor(t, filepath.Join(dir, "test_data_set_0", "input_0.pb"))
	if x.GetName() != "x" || !slices.Equal(x.GetDims(), []int64{1, 1, 7, 5}) ||
		x.GetDataType() != int32(TensorProto_FLOAT) || len(x.GetRawData()) != 1*1*7*5*4 {
		t.Errorf("input_0.pb: name %q dims %v data_type %d raw_data %d bytes", x.GetName(), x.GetDims(), x.GetDataType(), len(x.GetRawData()))
	}
	// The test input is 0, 1, 2, ... as little-endian float32.
	if raw := x.GetRawData(); len(raw) >= 8 && !bytes.Equal(raw[:8], []byte{0, 0, 0, 0, 0, 0, 0x80, 0x3f}) {
		t.Errorf("input_0.pb raw_data starts with % x, want 0.0, 1.0", raw[:8])
	}
	y, _ := readTensor(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"))
	if !slices.Equal(y.GetDims(), []int64{1, 1, 4, 3}) {
		t.Errorf("output_0.pb dims = %v", y.GetDims())
	}
}

// TestSchemaFeatures checks models that exercise less common parts of the
// schema: subgraph and tensor attributes, TYPE_PROTO attributes, sequence and
// optional types, string tensors and typed (non-raw) initializer data.
func TestSchemaFeatures(t *testing.T) {
	data := onnxTestdata(t)

	t.Run("if_subgraphs", func(t *testing.T) {
		m, _ := readModel(t, filepath.Join(data, "node", "test_if", "model.onnx"))
		n := m.GetGraph().GetNode()[0]
		if n.GetOpType() != "If" {
			t.Fatalf("op_type = %q, want If", n.GetOpType())
		}
		for _, a := range n.GetAttribute() {
			if a.GetType() != AttributeProto_GRAPH || a.GetG() == nil || len(a.GetG().GetNode()) == 0 {
				t.Errorf("attribute %s: type %v, graph %v", a.GetName(), a.GetType(), a.GetG())
			}
		}
	})

	t.Run("constant_tensor_attribute", func(t *testing.T) {
		m, _ := readModel(t, filepath.Join(data, "node", "test_constant", "model.onnx"))
		n := m.GetGraph().GetNode()[0]
		a := n.GetAttribute()[0]
		if n.GetOpType() != "Constant" || a.GetName() != "value" || a.GetType() != AttributeProto_TENSOR {
			t.Fatalf("node %s attribute %s type %v", n.GetOpType(), a.GetName(), a.GetType())
		}
		if !slices.Equal(a.GetT().GetDims(), []int64{5, 5}) || a.GetT().GetDataType() != int32(TensorProto_FLOAT) {
			t.Errorf("value tensor dims %v data_type %d", a.GetT().GetDims(), a.GetT().GetDataType())
		}
	})

	t.Run("type_proto_attribute", func(t *testing.T) {
		m, _ := readModel(t, filepath.Join(data, "node", "test_if_opt", "model.onnx"))
		var found bool
		var walk func(g *GraphProto)
		walk = func(g *GraphProto) {
			for _, n := range g.GetNode() {
				for _, a := range n.GetAttribute() {
					if a.GetType() == AttributeProto_TYPE_PROTO {
						found = a.GetTp() != nil
					}
					walk(a.GetG())
				}
			}
		}
		walk(m.GetGraph())
		if !found {
			t.Error("no TYPE_PROTO attribute with tp set")
		}
		out := m.GetGraph().GetOutput()[0].GetType()
		if elem := out.GetOptionalType().GetElemType().GetSequenceType().GetElemType().GetTensorType(); elem == nil {
			t.Errorf("output type = %v, want optional(sequence(tensor))", out)
		}
	})

	t.Run("sequence_and_dim_param", func(t *testing.T) {
		m, _ := readModel(t, filepath.Join(data, "node", "test_sequence_map_add_2_sequences", "model.onnx"))
		ty := m.GetGraph().GetInput()[0].GetType()
		tt := ty.GetSequenceType().GetElemType().GetTensorType()
		if tt == nil || len(tt.GetShape().GetDim()) != 1 || tt.GetShape().GetDim()[0].GetDimParam() != "N" {
			t.Errorf("input type = %v, want sequence(tensor[N])", ty)
		}
		if _, ok := tt.GetShape().GetDim()[0].GetValue().(*TensorShapeProto_Dimension_DimParam); !ok {
			t.Errorf("dim oneof is %T, want dim_param", tt.GetShape().GetDim()[0].GetValue())
		}
	})

	t.Run("string_tensor", func(t *testing.T) {
		x, _ := readTensor(t, filepath.Join(data, "node", "test_strnormalizer_export_monday_casesensintive_lower", "test_data_set_0", "input_0.pb"))
		if x.GetDataType() != int32(TensorProto_STRING) || len(x.GetStringData()) == 0 {
			t.Errorf("data_type %d, %d strings", x.GetDataType(), len(x.GetStringData()))
		}
		if int64(len(x.GetStringData())) != product(x.GetDims()) {
			t.Errorf("%d strings for dims %v", len(x.GetStringData()), x.GetDims())
		}
	})

	t.Run("int64_initializer", func(t *testing.T) {
		m, _ := readModel(t, filepath.Join(data, "pytorch-operator", "test_operator_non_float_params", "model.onnx"))
		var n int
		for _, init := range m.GetGraph().GetInitializer() {
			if init.GetDataType() == int32(TensorProto_INT64) {
				n++
				if init.GetName() == "" || len(init.GetDims()) == 0 {
					t.Errorf("initializer %q dims %v", init.GetName(), init.GetDims())
				}
			}
		}
		if n == 0 {
			t.Error("no INT64 initializer")
		}
	})
}

func product(d []int64) int64 {
	p := int64(1)
	for _, x := range d {
		p *= x
	}
	return p
}

// TestRoundTripSelected checks byte-exact re-encoding of a few specific files.
func TestRoundTripSelected(t *testing.T) {
	data := onnxTestdata(t)
	for _, f := range []string{
		"node/test_conv_with_strides_padding/model.onnx",
		"node/test_if/model.onnx",
		"node/test_if_opt/model.onnx",
		"node/test_constant/model.onnx",
		"node/test_adagrad/model.onnx",
		"simple/test_sequence_model1/model.onnx",
		"pytorch-converted/test_Conv2d/model.onnx",
	} {
		m, b := readModel(t, filepath.Join(data, f))
		checkRoundTrip(t, f, m, b)
	}
	for _, f := range []string{
		"node/test_conv_with_strides_padding/test_data_set_0/input_0.pb",
		"node/test_conv_with_strides_padding/test_data_set_0/input_1.pb",
		"node/test_conv_with_strides_padding/test_data_set_0/output_0.pb",
		"node/test_strnormalizer_export_monday_casesensintive_lower/test_data_set_0/input_0.pb",
		"pytorch-converted/test_Conv2d/test_data_set_0/input_0.pb",
	} {
		m, b := readTensor(t, filepath.Join(data, f))
		checkRoundTrip(t, f, m, b)
	}
}

var pbName = regexp.MustCompile(`^(input|output)_([0-9]+)\.pb$`)

// TestRoundTripSuite decodes every model and every tensor of the backend test
// suite and checks that each re-encodes to exactly the original bytes with
// no unknown fields.
//
// A test_data_set *.pb file is a TensorProto only when the corresponding
// graph input or output has a tensor type; for sequence, optional and map
// values it is a SequenceProto, OptionalProto or MapProto from
// onnx-data.proto, which this package does not define. Those files are
// counted and logged, not decoded.
func TestRoundTripSuite(t *testing.T) {
	data := onnxTestdata(t)
	var models, tensors, nonTensor int
	err := filepath.WalkDir(data, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Base(path) != "model.onnx" {
			return nil
		}
		rel, _ := filepath.Rel(data, path)
		m, b := readModel(t, path)
		checkRoundTrip(t, rel, m, b)
		models++

		// Types of the values fed by input_N.pb / checked by output_N.pb.
		inits := map[string]bool{}
		for _, init := range m.GetGraph().GetInitializer() {
			inits[init.GetName()] = true
		}
		var inTypes, outTypes []*TypeProto
		for _, vi := range m.GetGraph().GetInput() {
			if !inits[vi.GetName()] {
				inTypes = append(inTypes, vi.GetType())
			}
		}
		for _, vi := range m.GetGraph().GetOutput() {
			outTypes = append(outTypes, vi.GetType())
		}

		sets, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "test_data_set_*", "*.pb"))
		for _, pb := range sets {
			rel, _ := filepath.Rel(data, pb)
			sm := pbName.FindStringSubmatch(filepath.Base(pb))
			if sm == nil {
				t.Errorf("%s: unexpected file name", rel)
				continue
			}
			i, _ := strconv.Atoi(sm[2])
			types := inTypes
			if sm[1] == "output" {
				types = outTypes
			}
			if i >= len(types) {
				t.Errorf("%s: graph has only %d %ss", rel, len(types), sm[1])
				continue
			}
			if types[i].GetTensorType() == nil {
				nonTensor++
				continue
			}
			tp, b := readTensor(t, pb)
			checkRoundTrip(t, rel, tp, b)
			tensors++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("re-encoded %d models and %d tensors byte for byte; %d non-tensor (sequence/optional) data files not decoded", models, tensors, nonTensor)
	// Guard against a silently empty or truncated suite.
	if models < 1000 || tensors < 2500 {
		t.Errorf("only %d models and %d tensors found under %s", models, tensors, data)
	}
}

// TestOneofFieldOrder documents the one known case where decoding a file
// written by the C++/Python protobuf runtime and re-encoding it with Go does
// not reproduce the bytes: protobuf-go marshals the fields of a oneof after
// all other fields ("to preserve compatibility with historic wire output"),
// whereas C++ and Python write strictly by field number. In this schema that
// affects TensorShapeProto.Dimension (dim_value/dim_param vs denotation = 3)
// and TypeProto (tensor_type, ... vs denotation = 6) when a denotation is
// set. The decoded messages are equal; only the field order differs. The
// backend test suite contains no denotations, so all of it round-trips
// exactly (TestRoundTripSuite).
func TestOneofFieldOrder(t *testing.T) {
	var dimValue, denotation []byte
	dimValue = protowire.AppendTag(dimValue, 1, protowire.VarintType)
	dimValue = protowire.AppendVarint(dimValue, 3)
	denotation = protowire.AppendTag(denotation, 3, protowire.BytesType)
	denotation = protowire.AppendString(denotation, "DATA_BATCH")
	cppOrder := append(slices.Clone(dimValue), denotation...) // by field number
	goOrder := append(slices.Clone(denotation), dimValue...)  // oneof last

	var d TensorShapeProto_Dimension
	if err := proto.Unmarshal(cppOrder, &d); err != nil {
		t.Fatal(err)
	}
	if d.GetDimValue() != 3 || d.GetDenotation() != "DATA_BATCH" {
		t.Fatalf("decoded %v", &d)
	}
	out, err := proto.MarshalOptions{Deterministic: true}.Marshal(&d)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, goOrder) {
		t.Errorf("Dimension encodes as % x, want oneof-last order % x (C++ order is % x); "+
			"if protobuf-go now writes by field number, update this test and its comment", out, goOrder, cppOrder)
	}
	var back TensorShapeProto_Dimension
	if err := proto.Unmarshal(out, &back); err != nil || !proto.Equal(&d, &back) {
		t.Errorf("re-decoded %v (err %v), want %v", &back, err, &d)
	}
}
