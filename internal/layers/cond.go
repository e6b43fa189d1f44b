package layers

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// condRef is a graph value holding, per image, one row of a constant table
// picked by a conditioning input: Gather(T, label) on axis 0, possibly
// reshaped (Unsqueeze, Reshape, Identity) to (N,C,1,1). It is not stored:
// the Embed layer that adds it to an activation reads the table.
type condRef struct {
	cond  int           // index in Plan.Conds
	t     *graph.Tensor // the table (K, C, 1...)
	tv    *graph.Value
	k, c  int
	shape []int         // the value's shape, -1 for the batch
	nodes []*graph.Node // Gather, then the reshapes, in order
}

const condReason = "conditioning row looked up by the Embed layer (embed)"

// condNode classes a Gather of a table by a conditioning input, or a
// reshape of such a row, as a condRef; ok is false (with the reason when n
// looked like one) otherwise.
func (b *builder) condNode(n *graph.Node) (bool, string) {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil || len(n.Inputs) == 0 || n.Inputs[0] == nil {
		return false, ""
	}
	var ref *condRef
	switch n.Op {
	case "Gather":
		r, why := b.gather(n)
		if r == nil {
			return false, why
		}
		ref = r
	case "Unsqueeze", "Reshape", "Identity":
		in := b.conds[n.Inputs[0]]
		if in == nil {
			return false, ""
		}
		shape, why := b.reshapeRow(n, in)
		if shape == nil {
			return false, why
		}
		ref = &condRef{cond: in.cond, t: in.t, tv: in.tv, k: in.k, c: in.c, shape: shape,
			nodes: append(append([]*graph.Node(nil), in.nodes...), n)}
	default:
		return false, ""
	}
	b.conds[n.Outputs[0]] = ref
	r := b.route[n]
	r.Path, r.Layer, r.Reason = PathFused, -1, condReason
	return true, ""
}

// gather: Gather(T, label), axis 0, T a constant float32 (K, C, 1...), label
// one of Plan.Conds.
func (b *builder) gather(n *graph.Node) (*condRef, string) {
	if len(n.Inputs) != 2 || n.Inputs[1] == nil {
		return nil, ""
	}
	cond := -1
	for i, v := range b.p.Conds {
		if v == n.Inputs[1] {
			cond = i
		}
	}
	if cond < 0 {
		return nil, ""
	}
	for _, a := range n.Attrs {
		if a.Name != "axis" || a.Type != graph.AttrInt || a.I != 0 {
			return nil, fmt.Sprintf("attribute %s: a conditioning lookup is Gather on axis 0", a.Name)
		}
	}
	t := b.p.Consts[n.Inputs[0]]
	if t == nil || t.DType != graph.Float32 || len(t.Shape) < 2 {
		return nil, fmt.Sprintf("table %s is not a constant float32 (K, C, ...) tensor", n.Inputs[0].Name)
	}
	for _, d := range t.Shape[2:] {
		if d != 1 {
			return nil, fmt.Sprintf("table %s is %v; a conditioning table is (K, C) or (K, C, 1, 1)", n.Inputs[0].Name, t.Shape)
		}
	}
	if t.Shape[0] == 0 || t.Shape[1] == 0 {
		return nil, fmt.Sprintf("table %s %v is empty", n.Inputs[0].Name, t.Shape)
	}
	shape := append([]int{-1}, t.Shape[1:]...)
	return &condRef{cond: cond, t: t, tv: n.Inputs[0], k: t.Shape[0], c: t.Shape[1], shape: shape, nodes: []*graph.Node{n}}, ""
}

// reshapeRow returns the shape of a reshaped row (-1 for the batch), or nil
// and why when n is not a reshape the plan follows: Unsqueeze by constant
// axes, Reshape to a constant shape of the same elements keeping the batch
// first and C second, Identity.
func (b *builder) reshapeRow(n *graph.Node, in *condRef) ([]int, string) {
	switch n.Op {
	case "Identity":
		return in.shape, ""
	case "Unsqueeze":
		axes := n.IntsAttr("axes")
		if len(n.Inputs) > 1 && n.Inputs[1] != nil {
			t := b.p.Consts[n.Inputs[1]]
			if t == nil || !t.DType.IsInteger() {
				return nil, "axes are not constant"
			}
			axes = t.I64
		}
		rank := len(in.shape) + len(axes)
		ones := make([]bool, rank)
		for _, a := range axes {
			if a < 0 {
				a += int64(rank)
			}
			if a < 0 || a >= int64(rank) || ones[a] {
				return nil, fmt.Sprintf("axes %v do not fit rank %d", axes, rank)
			}
			ones[a] = true
		}
		out, j := make([]int, rank), 0
		for d := range out {
			if ones[d] {
				out[d] = 1
			} else {
				out[d], j = in.shape[j], j+1
			}
		}
		return out, ""
	case "Reshape":
		if len(n.Inputs) < 2 || n.Inputs[1] == nil {
			return nil, "needs a shape"
		}
		t := b.p.Consts[n.Inputs[1]]
		if t == nil || !t.DType.IsInteger() {
			return nil, "shape is not constant"
		}
		for _, a := range n.Attrs {
			if a.Name != "allowzero" || a.I != 0 {
				return nil, "attribute " + a.Name
			}
		}
		out := make([]int, len(t.I64))
		rest := 1
		for d, v := range t.I64 {
			switch {
			case d == 0 && (v == -1 || v == 0):
				out[d] = -1
			case d > 0 && v == 0 && d < len(in.shape):
				out[d] = in.shape[d]
			case d > 0 && v > 0:
				out[d] = int(v)
			default:
				return nil, fmt.Sprintf("shape %v: the batch must stay the first dim", t.I64)
			}
			if d > 0 {
				rest *= out[d]
			}
		}
		if rest != in.c || len(out) < 2 || out[1] != in.c {
			return nil, fmt.Sprintf("shape %v: want (N, %d, 1, ...)", t.I64, in.c)
		}
		return out, ""
	}
	return nil, ""
}

// embed makes Add(x, row) (either order) an Embed layer: x an activation of
// C channels, row a condRef of shape (N, C, 1, 1) or (N, C, 1) ... that
// broadcasts over positions. ok is false when no operand is a row.
func (b *builder) embed(n *graph.Node) (l *Layer, why string, ok bool) {
	if n.Op != "Add" || len(n.Inputs) != 2 || n.Inputs[0] == nil || n.Inputs[1] == nil {
		return nil, "", false
	}
	k := -1
	for i, v := range n.Inputs {
		if b.conds[v] != nil {
			k = i
		}
	}
	if k < 0 {
		return nil, "", false
	}
	ref := b.conds[n.Inputs[k]]
	x, isAct := b.activation(n.Inputs[1-k])
	switch {
	case !isAct:
		return nil, fmt.Sprintf("input %s is not a layer value", n.Inputs[1-k].Name), true
	case len(n.Attrs) > 0:
		return nil, "attribute " + n.Attrs[0].Name + " (legacy broadcast)", true
	case len(ref.shape) != 4 || ref.shape[1] != b.p.Values[x].C || ref.shape[2] != 1 || ref.shape[3] != 1:
		return nil, fmt.Sprintf("row %s is %v; it must broadcast as (N, %d, 1, 1) to %s", n.Inputs[k].Name, ref.shape, b.p.Values[x].C, n.Inputs[1-k].Name), true
	}
	l = &Layer{Kind: Embed, Op: "Embed", In: []int{x}, Fused: append([]*graph.Node(nil), ref.nodes...),
		Embed: &EmbedSpec{Cond: ref.cond, T: ref.t, TV: ref.tv, K: ref.k, C: ref.c, Gather: ref.nodes[0]}}
	for _, m := range ref.nodes {
		b.why[m] = condReason
	}
	return l, "", true
}
