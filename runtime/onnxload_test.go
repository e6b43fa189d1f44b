package runtime

// A minimal ONNX → graph.Graph loader for the conformance test only.
//
// TODO: replace with export.Decode once it lands and covers everything used
// here (initializers listed as inputs in IR < 4, typed data fields of every
// integer type, Constant tensor attributes); then delete this file.

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// readModel parses an ONNX model file.
func readModel(path string) (*onnxpb.ModelProto, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m, nil
}

// readTensorFile parses a TensorProto file (input_0.pb, output_0.pb).
func readTensorFile(path string) (*graph.Tensor, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	tp := &onnxpb.TensorProto{}
	if err := proto.Unmarshal(b, tp); err != nil {
		return nil, "", fmt.Errorf("%s: %v", path, err)
	}
	t, err := tensorFromProto(tp)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %v", path, err)
	}
	return t, tp.GetName(), nil
}

// modelOpset returns the model's default-domain opset.
func modelOpset(m *onnxpb.ModelProto) int {
	for _, o := range m.GetOpsetImport() {
		if o.GetDomain() == "" || o.GetDomain() == "ai.onnx" {
			return int(o.GetVersion())
		}
	}
	return 0
}

// graphFromModel builds the IR of m's main graph.
func graphFromModel(m *onnxpb.ModelProto) (*graph.Graph, error) {
	gp := m.GetGraph()
	g := &graph.Graph{Name: gp.GetName(), Opset: modelOpset(m), Producer: m.GetProducerName()}
	if g.Opset == 0 {
		return nil, fmt.Errorf("model imports no default-domain opset")
	}
	values := map[string]*graph.Value{}
	for _, tp := range gp.GetInitializer() {
		t, err := tensorFromProto(tp)
		if err != nil {
			return nil, fmt.Errorf("initializer %q: %v", tp.GetName(), err)
		}
		v := &graph.Value{Name: tp.GetName(), DType: t.DType, Shape: t.Shape, Const: t}
		values[v.Name] = v
		g.Inits = append(g.Inits, v)
	}
	for _, vi := range gp.GetInput() {
		if _, isInit := values[vi.GetName()]; isInit {
			continue // IR < 4: initializers are listed as inputs too
		}
		v, err := valueFromInfo(vi)
		if err != nil {
			return nil, fmt.Errorf("input %q: %v", vi.GetName(), err)
		}
		values[v.Name] = v
		g.Inputs = append(g.Inputs, v)
	}
	for i, np := range gp.GetNode() {
		n := &graph.Node{Name: np.GetName(), Op: np.GetOpType(), Domain: np.GetDomain()}
		if n.Name == "" {
			n.Name = fmt.Sprintf("%s_%d", n.Op, i)
		}
		for _, name := range np.GetInput() {
			if name == "" {
				n.Inputs = append(n.Inputs, nil)
				continue
			}
			v, ok := values[name]
			if !ok {
				return nil, fmt.Errorf("node %s: input %q is not defined", n.Name, name)
			}
			n.Inputs = append(n.Inputs, v)
		}
		for _, ap := range np.GetAttribute() {
			a, err := attrFromProto(ap)
			if err != nil {
				return nil, fmt.Errorf("node %s: attribute %q: %v", n.Name, ap.GetName(), err)
			}
			n.Attrs = append(n.Attrs, a)
		}
		for _, name := range np.GetOutput() {
			if name == "" {
				n.Outputs = append(n.Outputs, nil)
				continue
			}
			v := &graph.Value{Name: name, Producer: n}
			values[name] = v
			n.Outputs = append(n.Outputs, v)
		}
		g.Nodes = append(g.Nodes, n)
	}
	for _, vi := range gp.GetOutput() {
		v, ok := values[vi.GetName()]
		if !ok {
			return nil, fmt.Errorf("output %q is not computed", vi.GetName())
		}
		if info, err := valueFromInfo(vi); err == nil && v.Producer != nil {
			v.DType, v.Shape, v.DimNames = info.DType, info.Shape, info.DimNames
		}
		g.Outputs = append(g.Outputs, v)
	}
	return g, nil
}

// valueFromInfo reads a tensor-typed ValueInfoProto; other types (sequence,
// optional, map) are an error.
func valueFromInfo(vi *onnxpb.ValueInfoProto) (*graph.Value, error) {
	tt := vi.GetType().GetTensorType()
	if tt == nil {
		return nil, fmt.Errorf("type %v is not a tensor", vi.GetType())
	}
	v := &graph.Value{Name: vi.GetName(), DType: graph.DType(tt.GetElemType())}
	if sh := tt.GetShape(); sh != nil {
		v.Shape = make([]int, len(sh.GetDim()))
		named := false
		names := make([]string, len(sh.GetDim()))
		for i, d := range sh.GetDim() {
			switch x := d.GetValue().(type) {
			case *onnxpb.TensorShapeProto_Dimension_DimValue:
				v.Shape[i] = int(x.DimValue)
			case *onnxpb.TensorShapeProto_Dimension_DimParam:
				v.Shape[i] = -1
				names[i], named = x.DimParam, true
			default:
				v.Shape[i] = -1
			}
		}
		if named {
			v.DimNames = names
		}
	}
	return v, nil
}

func attrFromProto(ap *onnxpb.AttributeProto) (graph.Attr, error) {
	a := graph.Attr{Name: ap.GetName(), Type: graph.AttrType(ap.GetType())}
	switch a.Type {
	case graph.AttrFloat:
		a.F = ap.GetF()
	case graph.AttrInt:
		a.I = ap.GetI()
	case graph.AttrString:
		a.S = string(ap.GetS())
	case graph.AttrTensor:
		t, err := tensorFromProto(ap.GetT())
		if err != nil {
			return a, err
		}
		a.T = t
	case graph.AttrFloats:
		a.Floats = ap.GetFloats()
	case graph.AttrInts:
		a.Ints = ap.GetInts()
	case graph.AttrStrings:
		for _, s := range ap.GetStrings() {
			a.Strings = append(a.Strings, string(s))
		}
	default:
		return a, fmt.Errorf("attribute type %v is not handled by the test loader", ap.GetType())
	}
	return a, nil
}

// tensorFromProto converts raw_data or the typed field of float, double and
// the integer types (and bool) into a graph.Tensor.
func tensorFromProto(tp *onnxpb.TensorProto) (*graph.Tensor, error) {
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		return nil, fmt.Errorf("external data is not handled by the test loader")
	}
	dt := graph.DType(tp.GetDataType())
	shape := make([]int, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		if d < 0 {
			return nil, fmt.Errorf("negative dim in %v", tp.GetDims())
		}
		shape[i] = int(d)
	}
	n := graph.NumElements(shape)
	t := &graph.Tensor{DType: dt, Shape: shape}
	raw := tp.GetRawData()
	hasRaw := tp.RawData != nil
	size := map[graph.DType]int{graph.Float32: 4, graph.Float64: 8, graph.Int64: 8, graph.Uint64: 8,
		graph.Int32: 4, graph.Uint32: 4, graph.Int16: 2, graph.Uint16: 2, graph.Int8: 1, graph.Uint8: 1, graph.Bool: 1}[dt]
	if size == 0 {
		return nil, fmt.Errorf("element type %v is not handled by the test loader", dt)
	}
	if hasRaw && len(raw) != n*size {
		return nil, fmt.Errorf("raw_data has %d bytes, shape %v of %v needs %d", len(raw), shape, dt, n*size)
	}
	switch dt {
	case graph.Float32:
		t.F32 = tp.GetFloatData()
		if hasRaw {
			t.F32 = make([]float32, n)
			for i := range t.F32 {
				t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		if t.F32 == nil {
			t.F32 = []float32{}
		}
	case graph.Float64:
		t.F64 = tp.GetDoubleData()
		if hasRaw {
			t.F64 = make([]float64, n)
			for i := range t.F64 {
				t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		if t.F64 == nil {
			t.F64 = []float64{}
		}
	default:
		t.I64 = make([]int64, 0, n)
		switch {
		case hasRaw:
			for i := 0; i < n; i++ {
				p := raw[i*size:]
				var v int64
				switch dt {
				case graph.Int64, graph.Uint64:
					v = int64(binary.LittleEndian.Uint64(p))
				case graph.Int32:
					v = int64(int32(binary.LittleEndian.Uint32(p)))
				case graph.Uint32:
					v = int64(binary.LittleEndian.Uint32(p))
				case graph.Int16:
					v = int64(int16(binary.LittleEndian.Uint16(p)))
				case graph.Uint16:
					v = int64(binary.LittleEndian.Uint16(p))
				case graph.Int8:
					v = int64(int8(p[0]))
				default: // Uint8, Bool
					v = int64(p[0])
				}
				t.I64 = append(t.I64, v)
			}
		case dt == graph.Int64:
			t.I64 = append(t.I64, tp.GetInt64Data()...)
		case dt == graph.Uint64 || dt == graph.Uint32:
			for _, v := range tp.GetUint64Data() {
				t.I64 = append(t.I64, int64(v))
			}
		default: // int32 field holds int32, int16, int8, uint16, uint8, bool
			for _, v := range tp.GetInt32Data() {
				t.I64 = append(t.I64, int64(v))
			}
		}
	}
	if err := t.Check(); err != nil {
		return nil, err
	}
	return t, nil
}
