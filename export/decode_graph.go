package export

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// weightOps are the ops whose initializer inputs are converted to float32
// when stored as float64 (see decoder.tensor).
var weightOps = map[string]bool{"Conv": true, "Gemm": true, "MatMul": true}

// graph fills g from gp: initializers, inputs, nodes, then outputs.
func (d *decoder) graph(g *graph.Graph, gp *onnxpb.GraphProto) error {
	if len(gp.GetSparseInitializer()) > 0 {
		return unsupportedErr(Where{Field: "sparse_initializer", Opset: d.opset}, "sparse initializers are not supported")
	}
	weights := map[string]bool{}
	for _, np := range gp.GetNode() {
		if isDefaultDomain(np.GetDomain()) && weightOps[np.GetOpType()] {
			for _, in := range np.GetInput() {
				weights[in] = true
			}
		}
	}
	for i, tp := range gp.GetInitializer() {
		name := tp.GetName()
		w := Where{Tensor: name, Field: fmt.Sprintf("initializer[%d]", i)}
		if name == "" {
			return formatErr(w, "initializer without a name")
		}
		if d.values[name] != nil {
			return formatErr(w, "initializer %q is defined twice", name)
		}
		t, err := d.tensor(tp, w, weights[name])
		if err != nil {
			return err
		}
		v := &graph.Value{Name: name, DType: t.DType, Shape: append([]int{}, t.Shape...), Const: t}
		d.values[name] = v
		g.Inits = append(g.Inits, v)
	}
	for i, vi := range gp.GetInput() {
		name := vi.GetName()
		w := Where{Tensor: name, Field: fmt.Sprintf("input[%d]", i)}
		if name == "" {
			return formatErr(w, "graph input without a name")
		}
		if v := d.values[name]; v != nil {
			if v.IsConst() {
				continue // an initializer listed as input (IR < 4): not fed by the caller
			}
			return formatErr(w, "graph input %q is listed twice", name)
		}
		v := &graph.Value{Name: name}
		if err := setType(v, vi, w); err != nil {
			return err
		}
		d.values[name] = v
		g.Inputs = append(g.Inputs, v)
	}
	if err := d.nodes(g, gp.GetNode()); err != nil {
		return err
	}
	for i, vi := range gp.GetValueInfo() {
		// Types of intermediate values: a hint for the runtime, never required.
		v := d.values[vi.GetName()]
		if v == nil || v.Producer == nil {
			continue
		}
		if err := setType(v, vi, Where{Tensor: vi.GetName(), Field: fmt.Sprintf("value_info[%d]", i)}); err != nil {
			return err
		}
	}
	for i, vi := range gp.GetOutput() {
		name := vi.GetName()
		w := Where{Tensor: name, Field: fmt.Sprintf("output[%d]", i)}
		v := d.values[name]
		if v == nil {
			return formatErr(w, "graph output %q is not computed by the graph", name)
		}
		if v.Producer != nil {
			if err := setType(v, vi, w); err != nil {
				return err
			}
		}
		g.Outputs = append(g.Outputs, v)
	}
	return nil
}

// nodes decodes the node list, checking that it is topologically sorted and
// that every value is defined once.
func (d *decoder) nodes(g *graph.Graph, nps []*onnxpb.NodeProto) error {
	later := map[string]int{} // value name → index of the node that produces it
	for i, np := range nps {
		for _, out := range np.GetOutput() {
			if _, dup := later[out]; out != "" && !dup {
				later[out] = i
			}
		}
	}
	for i, np := range nps {
		w := Where{Node: np.GetName(), Op: np.GetOpType(), Domain: np.GetDomain(), Opset: d.opset}
		if w.Node == "" {
			w.Node = fmt.Sprintf("#%d", i)
		}
		if w.Op == "" {
			return formatErr(w, "node without op_type")
		}
		if !isDefaultDomain(np.GetDomain()) {
			return unsupportedErr(w, "domain %q is not supported (only the default ONNX domain)", np.GetDomain())
		}
		if d.opset == 0 {
			return formatErr(w, "node of the default domain, but the model imports no default-domain opset")
		}
		n := &graph.Node{Name: np.GetName(), Op: np.GetOpType()}
		for k, in := range np.GetInput() {
			if in == "" {
				n.Inputs = append(n.Inputs, nil) // omitted optional input
				continue
			}
			v := d.values[in]
			if v == nil {
				if j, ok := later[in]; ok && j == i {
					return formatErr(w, "input %d %q is the node's own output (a cycle)", k, in)
				} else if ok && j > i {
					return formatErr(w, "nodes are not topologically sorted: input %d %q is produced by node #%d %q, which comes later", k, in, j, nps[j].GetName())
				}
				return formatErr(w, "input %d %q is not defined", k, in)
			}
			n.Inputs = append(n.Inputs, v)
		}
		attrs, err := d.attrs(np.GetAttribute(), w)
		if err != nil {
			return err
		}
		n.Attrs = attrs
		for k, out := range np.GetOutput() {
			if out == "" {
				n.Outputs = append(n.Outputs, nil) // omitted optional output
				continue
			}
			if d.values[out] != nil {
				return formatErr(w, "output %d %q is already defined (each value is produced once)", k, out)
			}
			v := &graph.Value{Name: out, Producer: n}
			d.values[out] = v
			n.Outputs = append(n.Outputs, v)
		}
		g.Nodes = append(g.Nodes, n)
	}
	return nil
}

// setType copies a ValueInfo's tensor type to v. A value without a type
// keeps DType Undefined and a nil Shape.
func setType(v *graph.Value, vi *onnxpb.ValueInfoProto, w Where) error {
	tp := vi.GetType()
	if tp == nil {
		return nil
	}
	tt, ok := tp.GetValue().(*onnxpb.TypeProto_TensorType)
	if !ok || tt.TensorType == nil {
		if tp.GetValue() == nil {
			return nil
		}
		kind := "not a dense tensor"
		switch tp.GetValue().(type) {
		case *onnxpb.TypeProto_SequenceType:
			kind = "a sequence"
		case *onnxpb.TypeProto_MapType:
			kind = "a map"
		case *onnxpb.TypeProto_OptionalType:
			kind = "an optional"
		case *onnxpb.TypeProto_SparseTensorType:
			kind = "a sparse tensor"
		}
		return unsupportedErr(w, "value %q is %s; only dense tensors are supported", vi.GetName(), kind)
	}
	et := tt.TensorType.GetElemType()
	if et < 0 || et > int32(maxDType) {
		return unsupportedErr(w, "element type %d is not supported", et)
	}
	v.DType = graph.DType(et)
	sh := tt.TensorType.GetShape()
	if sh == nil {
		return nil // unknown rank
	}
	v.Shape = make([]int, len(sh.GetDim()))
	var names []string
	for i, dim := range sh.GetDim() {
		switch x := dim.GetValue().(type) {
		case *onnxpb.TensorShapeProto_Dimension_DimValue:
			if x.DimValue < 0 {
				return formatErr(w, "dimension %d is negative (%d)", i, x.DimValue)
			}
			if int64(clampInt(x.DimValue)) != x.DimValue {
				return unsupportedErr(w, "dimension %d (%d) does not fit in an int", i, x.DimValue)
			}
			v.Shape[i] = int(x.DimValue)
		case *onnxpb.TensorShapeProto_Dimension_DimParam:
			v.Shape[i] = -1
			if x.DimParam != "" {
				if names == nil {
					names = make([]string, len(v.Shape))
				}
				names[i] = x.DimParam
			}
		default:
			v.Shape[i] = -1 // unknown
		}
	}
	v.DimNames = names
	return nil
}

// maxDType is the largest ONNX element type number a value may declare.
const maxDType = 22 // INT4
