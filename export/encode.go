package export

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// Version is the pixelgraph version written to pixelgraph.version.
const Version = "0.1.0"

// Producer is the producer_name of files we write.
const Producer = "pixelgraph"

// Opset limits of Encode; the default and the maximum are graph.DefaultOpset
// and graph.MaxOpset. Decode reads from graph.MinOpset.
const (
	MinOpset = 7 // ORT 1.30 dropped kernels of older opsets
	// IRVersion is what we write for opsets up to 18; newer opsets need newer
	// IR versions (see irVersionFor).
	IRVersion = 8
)

// Metadata keys written at model level.
const (
	MetaVersion      = "pixelgraph.version"
	MetaConfig       = "pixelgraph.config"
	MetaLevels       = "pixelgraph.levels"
	MetaInputScaling = "pixelgraph.input_scaling"
	MetaMasks        = "pixelgraph.masks"
)

// InputScalingRule is the text stored in pixelgraph.input_scaling.
const InputScalingRule = "level = floor(byte*levels/256); pixels = level/(levels-1) in [0,1]"

// Options control encoding. The zero value is the documented default.
type Options struct {
	// Opset is the default-domain opset to declare; 0 means the graph's own
	// (an imported graph's), or graph.DefaultOpset for built graphs.
	Opset int
	// Batch, when > 0, writes dim 0 of every graph input and output whose
	// batch dimension is symbolic as this fixed size (runtimes that ignore
	// symbolic dims, such as onnx-go, then see the real input shape). 0 keeps
	// the symbolic "N".
	Batch int
}

func (o *Options) opset(g *graph.Graph) int {
	if o != nil && o.Opset != 0 {
		return o.Opset
	}
	return graph.OpsetOf(g)
}

// irVersionFor is the IR version that goes with an opset (ONNX's release
// table: opset ≤ 18 → IR 8, 19–20 → IR 9, 21 → IR 10).
func irVersionFor(opset int) int64 {
	switch {
	case opset <= 18:
		return IRVersion
	case opset <= 20:
		return 9
	}
	return 10
}

// Encode writes g to w as an ONNX model.
func Encode(w io.Writer, g *graph.Graph, opts *Options) error {
	b, err := Marshal(g, opts)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Marshal returns g as ONNX bytes; the same graph always gives the same bytes.
func Marshal(g *graph.Graph, opts *Options) ([]byte, error) {
	m, err := toProto(g, opts)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(m)
}

// toProto converts g to an ONNX ModelProto.
func toProto(g *graph.Graph, opts *Options) (*onnxpb.ModelProto, error) {
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	opset := opts.opset(g)
	if opset < MinOpset || opset > graph.MaxOpset {
		return nil, fmt.Errorf("export: opset %d is outside %d..%d", opset, MinOpset, graph.MaxOpset)
	}
	batch := 0
	if opts != nil {
		batch = opts.Batch
	}
	if batch < 0 {
		return nil, fmt.Errorf("export: batch %d must be >= 0", batch)
	}
	gp := &onnxpb.GraphProto{Name: proto.String(g.Name)}
	for _, v := range g.Inputs {
		gp.Input = append(gp.Input, valueInfo(v, batch))
	}
	for _, v := range g.Outputs {
		gp.Output = append(gp.Output, valueInfo(v, batch))
	}
	for _, v := range g.Inits {
		t, err := tensorProto(v.Name, v.Const)
		if err != nil {
			return nil, fmt.Errorf("export: initializer %s: %w", v.Name, err)
		}
		gp.Initializer = append(gp.Initializer, t)
	}
	for _, n := range g.Nodes {
		np, err := nodeProto(n)
		if err != nil {
			return nil, err
		}
		gp.Node = append(gp.Node, np)
	}
	meta, err := metadata(g)
	if err != nil {
		return nil, err
	}
	m := &onnxpb.ModelProto{
		IrVersion:       proto.Int64(irVersionFor(opset)),
		OpsetImport:     []*onnxpb.OperatorSetIdProto{{Domain: proto.String(""), Version: proto.Int64(int64(opset))}},
		ProducerName:    proto.String(Producer),
		ProducerVersion: proto.String(Version),
		Graph:           gp,
		MetadataProps:   meta,
	}
	return m, nil
}

// valueInfo describes v; batch > 0 fixes a symbolic dim 0 to that size.
func valueInfo(v *graph.Value, batch int) *onnxpb.ValueInfoProto {
	tt := &onnxpb.TypeProto_Tensor{ElemType: proto.Int32(int32(v.DType))}
	if v.Shape != nil {
		sh := &onnxpb.TensorShapeProto{Dim: []*onnxpb.TensorShapeProto_Dimension{}}
		for i, d := range v.Shape {
			dim := &onnxpb.TensorShapeProto_Dimension{}
			switch {
			case i == 0 && batch > 0 && d < 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(batch)}
			case i < len(v.DimNames) && v.DimNames[i] != "":
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimParam{DimParam: v.DimNames[i]}
			case d >= 0:
				dim.Value = &onnxpb.TensorShapeProto_Dimension_DimValue{DimValue: int64(d)}
			}
			sh.Dim = append(sh.Dim, dim)
		}
		tt.Shape = sh
	}
	return &onnxpb.ValueInfoProto{
		Name: proto.String(v.Name),
		Type: &onnxpb.TypeProto{Value: &onnxpb.TypeProto_TensorType{TensorType: tt}},
	}
}

func nodeProto(n *graph.Node) (*onnxpb.NodeProto, error) {
	np := &onnxpb.NodeProto{Name: proto.String(n.Name), OpType: proto.String(n.Op)}
	if n.Domain != "" {
		np.Domain = proto.String(n.Domain)
	}
	for _, v := range n.Inputs {
		if v == nil {
			np.Input = append(np.Input, "")
		} else {
			np.Input = append(np.Input, v.Name)
		}
	}
	for _, v := range n.Outputs {
		if v == nil {
			np.Output = append(np.Output, "")
		} else {
			np.Output = append(np.Output, v.Name)
		}
	}
	for _, a := range n.Attrs {
		ap, err := attrProto(a)
		if err != nil {
			return nil, fmt.Errorf("export: node %s (%s): attribute %s: %w", n.Name, n.Op, a.Name, err)
		}
		np.Attribute = append(np.Attribute, ap)
	}
	return np, nil
}

func attrProto(a graph.Attr) (*onnxpb.AttributeProto, error) {
	typ := onnxpb.AttributeProto_AttributeType(a.Type)
	ap := &onnxpb.AttributeProto{Name: proto.String(a.Name), Type: &typ}
	switch a.Type {
	case graph.AttrFloat:
		ap.F = proto.Float32(a.F)
	case graph.AttrInt:
		ap.I = proto.Int64(a.I)
	case graph.AttrString:
		ap.S = []byte(a.S)
	case graph.AttrFloats:
		ap.Floats = append([]float32{}, a.Floats...)
	case graph.AttrInts:
		ap.Ints = append([]int64{}, a.Ints...)
	case graph.AttrStrings:
		for _, s := range a.Strings {
			ap.Strings = append(ap.Strings, []byte(s))
		}
	case graph.AttrTensor:
		if a.T == nil {
			return nil, fmt.Errorf("tensor attribute without a tensor")
		}
		t, err := tensorProto("", a.T)
		if err != nil {
			return nil, err
		}
		ap.T = t
	default:
		return nil, fmt.Errorf("attribute type %v cannot be encoded", a.Type)
	}
	return ap, nil
}

// elemSize is the byte width of one element in raw_data.
func elemSize(d graph.DType) int {
	switch d {
	case graph.Uint8, graph.Int8, graph.Bool:
		return 1
	case graph.Uint16, graph.Int16, graph.Float16:
		return 2
	case graph.Float32, graph.Int32, graph.Uint32:
		return 4
	case graph.Float64, graph.Int64, graph.Uint64:
		return 8
	}
	return 0
}

// tensorProto encodes t with little-endian raw_data.
func tensorProto(name string, t *graph.Tensor) (*onnxpb.TensorProto, error) {
	if err := t.Check(); err != nil {
		return nil, err
	}
	size := elemSize(t.DType)
	if size == 0 {
		return nil, fmt.Errorf("cannot encode %v tensors", t.DType)
	}
	raw := make([]byte, t.Len()*size)
	le := binary.LittleEndian
	switch {
	case t.DType == graph.Float16:
		for i, x := range t.F32 {
			le.PutUint16(raw[2*i:], graph.Float64ToFloat16(float64(x)))
		}
	case t.DType == graph.Float32:
		for i, x := range t.F32 {
			le.PutUint32(raw[4*i:], math.Float32bits(x))
		}
	case t.DType == graph.Float64:
		for i, x := range t.F64 {
			le.PutUint64(raw[8*i:], math.Float64bits(x))
		}
	default:
		for i, x := range t.I64 {
			switch size {
			case 1:
				raw[i] = byte(x)
			case 2:
				le.PutUint16(raw[2*i:], uint16(x))
			case 4:
				le.PutUint32(raw[4*i:], uint32(x))
			case 8:
				le.PutUint64(raw[8*i:], uint64(x))
			}
		}
	}
	tp := &onnxpb.TensorProto{
		DataType: proto.Int32(int32(t.DType)),
		Dims:     make([]int64, len(t.Shape)),
		RawData:  raw,
	}
	if name != "" {
		tp.Name = proto.String(name)
	}
	for i, d := range t.Shape {
		tp.Dims[i] = int64(d)
	}
	return tp, nil
}

// MarshalTensor encodes t as a standalone TensorProto (the layout of the
// ONNX backend test data's input_<k>.pb and output_<k>.pb files).
func MarshalTensor(name string, t *graph.Tensor) ([]byte, error) {
	tp, err := tensorProto(name, t)
	if err != nil {
		return nil, err
	}
	return proto.MarshalOptions{Deterministic: true}.Marshal(tp)
}

// metadata returns our pixelgraph.* entries followed by g.Metadata (minus
// any key we generate, which would be stale).
func metadata(g *graph.Graph) ([]*onnxpb.StringStringEntryProto, error) {
	var kvs []graph.KV
	kvs = append(kvs, graph.KV{Key: MetaVersion, Value: Version})
	if c := g.Config; c != nil {
		cj, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		kvs = append(kvs,
			graph.KV{Key: MetaConfig, Value: string(cj)},
			graph.KV{Key: MetaLevels, Value: strconv.Itoa(c.Levels)},
			graph.KV{Key: MetaInputScaling, Value: InputScalingRule})
	}
	masks := map[string]string{}
	for _, v := range g.Inits {
		if v.Mask != graph.MaskNone {
			masks[v.Name] = v.Mask.String()
		}
	}
	if len(masks) > 0 {
		mj, err := json.Marshal(masks) // map keys are sorted: deterministic
		if err != nil {
			return nil, err
		}
		kvs = append(kvs, graph.KV{Key: MetaMasks, Value: string(mj)})
	}
	generated := map[string]bool{MetaVersion: true, MetaConfig: true, MetaLevels: true, MetaInputScaling: true, MetaMasks: true}
	for _, kv := range g.Metadata {
		if !generated[kv.Key] {
			kvs = append(kvs, kv)
		}
	}
	out := make([]*onnxpb.StringStringEntryProto, len(kvs))
	for i, kv := range kvs {
		out[i] = &onnxpb.StringStringEntryProto{Key: proto.String(kv.Key), Value: proto.String(kv.Value)}
	}
	return out, nil
}
