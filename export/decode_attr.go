package export

import (
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// attrs decodes a node's attributes in file order. Attribute kinds the IR
// has no room for (graphs, sparse tensors, type protos, tensor lists) are an
// *UnsupportedError naming node, op and attribute; they are never skipped.
func (d *decoder) attrs(aps []*onnxpb.AttributeProto, nw Where) ([]graph.Attr, error) {
	var out []graph.Attr
	seen := map[string]bool{}
	for _, ap := range aps {
		w := nw
		w.Attr = ap.GetName()
		if w.Attr == "" {
			return nil, formatErr(w, "attribute without a name")
		}
		if seen[w.Attr] {
			return nil, formatErr(w, "attribute is given twice")
		}
		seen[w.Attr] = true
		if ap.GetRefAttrName() != "" {
			return nil, unsupportedErr(w, "attribute references %q (function attributes are not supported)", ap.GetRefAttrName())
		}
		a, err := d.attr(ap, w)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

func (d *decoder) attr(ap *onnxpb.AttributeProto, w Where) (graph.Attr, error) {
	a := graph.Attr{Name: ap.GetName(), Type: graph.AttrType(ap.GetType())}
	switch ap.GetType() {
	case onnxpb.AttributeProto_FLOAT:
		a.F = ap.GetF()
	case onnxpb.AttributeProto_INT:
		a.I = ap.GetI()
	case onnxpb.AttributeProto_STRING:
		a.S = string(ap.GetS())
	case onnxpb.AttributeProto_FLOATS:
		a.Floats = append([]float32(nil), ap.GetFloats()...)
	case onnxpb.AttributeProto_INTS:
		a.Ints = append([]int64(nil), ap.GetInts()...)
	case onnxpb.AttributeProto_STRINGS:
		for _, s := range ap.GetStrings() {
			a.Strings = append(a.Strings, string(s))
		}
	case onnxpb.AttributeProto_TENSOR:
		if ap.GetT() == nil {
			return a, formatErr(w, "tensor attribute without a tensor")
		}
		tw := w
		tw.Tensor = ap.GetT().GetName()
		tw.Field = "t"
		t, err := d.tensor(ap.GetT(), tw, false)
		if err != nil {
			return a, err
		}
		a.T = t
	case onnxpb.AttributeProto_GRAPH, onnxpb.AttributeProto_GRAPHS, onnxpb.AttributeProto_TENSORS,
		onnxpb.AttributeProto_SPARSE_TENSOR, onnxpb.AttributeProto_SPARSE_TENSORS,
		onnxpb.AttributeProto_TYPE_PROTO, onnxpb.AttributeProto_TYPE_PROTOS:
		return a, unsupportedErr(w, "attributes of type %v are not supported", ap.GetType())
	case onnxpb.AttributeProto_UNDEFINED:
		return a, formatErr(w, "attribute has no type")
	default:
		return a, formatErr(w, "attribute has an unknown type (%d)", int32(ap.GetType()))
	}
	return a, nil
}
