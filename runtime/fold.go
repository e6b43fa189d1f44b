package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Fold returns a copy of g in which every value that can be computed without
// the graph's inputs is an initializer, and the nodes that computed only such
// values are gone. g is not modified; the copy shares g's inputs and
// initializers (read-only) and has fresh values for node outputs.
//
// A value folds when every input of its node is constant (initializers,
// Constant nodes, earlier folded values), and also when its node's output is
// known from the static shapes alone: Shape of a value whose dims are known
// (inferred through the graph from the declared input shapes and the
// constants), or a Gather, Slice, Concat, Squeeze, Unsqueeze or Cast of the
// known elements of such a shape vector. So the shape arithmetic torch.onnx
// writes (Shape → Gather → Div → Slice to chunk a tensor; Constant →
// ConstantOfShape → Concat → Reshape → Slice → Transpose → Cast to build a
// Pad's pads) costs nothing at run time, and a Conv whose weight is computed
// from constants (Mul(W, M)) gets a constant weight.
//
// Folding runs the same kernels as Run, so a folded value is exactly what a
// run would compute. Nodes whose op Fold does not know are kept as they are
// (their outputs are then unknown); a node that fails on constant inputs
// (a Gather index out of range, a Reshape to an impossible shape) is an
// error naming node, op and input.
func Fold(g *graph.Graph) (*graph.Graph, error) {
	f, _, _, err := fold(g, graph.OpsetOf(g), false)
	return f, err
}

// foldMaxElements bounds a folded constant: a node whose inferred output is
// larger (a ConstantOfShape or Expand of constants to a huge shape) is left
// to run time instead of being materialized in the program.
const foldMaxElements = 1 << 24

// fold implements Fold and returns, besides the folded graph, the compiled
// kernel of each of its nodes and what static inference knows about each of
// its values. With strict set, a node that does not compile (unsupported op,
// opset or attribute) is an error, as Compile wants; otherwise it is kept
// and its outputs are unknown.
func fold(g *graph.Graph, opset int, strict bool) (*graph.Graph, []*compiled, map[*graph.Value]static, error) {
	if opset < 1 || opset > graph.MaxOpset {
		for _, n := range g.Nodes {
			return nil, nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Domain: n.Domain, Opset: opset,
				Reason: fmt.Sprintf("opset %d (supported: 1..%d)", opset, graph.MaxOpset)}
		}
	}
	f := &graph.Graph{
		Name: g.Name, Opset: g.Opset, Config: g.Config, Metadata: g.Metadata, Producer: g.Producer,
		Inputs: g.Inputs, Inits: append([]*graph.Value(nil), g.Inits...),
	}
	val := map[*graph.Value]*graph.Value{} // g's value -> f's value
	st := map[*graph.Value]static{}        // by f's value
	for _, v := range g.Inputs {
		val[v] = v
		st[v] = declaredStatic(v)
	}
	for _, v := range g.Inits {
		val[v] = v
		st[v] = constStatic(v.Const)
	}
	var ks []*compiled
	rc := &runCtx{}
	for _, n := range g.Nodes {
		c := &graph.Node{Name: n.Name, Op: n.Op, Domain: n.Domain, Attrs: n.Attrs}
		ins := make([]static, len(n.Inputs))
		allConst := true
		for i, in := range n.Inputs {
			if in == nil {
				c.Inputs = append(c.Inputs, nil)
				continue
			}
			v := val[in]
			c.Inputs = append(c.Inputs, v)
			ins[i] = st[v]
			if ins[i].val == nil {
				allConst = false
			}
		}
		// Outputs get their final values only once we know whether they fold;
		// compileNode needs the node's output arity.
		c.Outputs = make([]*graph.Value, len(n.Outputs))
		for j, o := range n.Outputs {
			if o != nil {
				c.Outputs[j] = &graph.Value{Name: o.Name, DType: o.DType, Shape: o.Shape, DimNames: o.DimNames, Producer: c}
			}
		}
		k, err := compileNode(c, opset)
		if err != nil {
			if strict {
				return nil, nil, nil, err
			}
			k = nil
		}
		outs := make([]static, len(n.Outputs))
		if k != nil && k.infer != nil {
			res, err := k.infer(ins)
			if err != nil {
				return nil, nil, nil, nodeErr(c, err)
			}
			copy(outs, res)
		}
		if allConst && tooLarge(outs) {
			allConst = false
		}
		switch {
		case k != nil && allConst:
			ts := make([]*graph.Tensor, len(ins))
			for i, s := range ins {
				ts[i] = s.val
			}
			res, err := k.run(rc, ts)
			if err != nil {
				return nil, nil, nil, nodeErr(c, err)
			}
			for j, t := range res {
				if t == nil || c.Outputs[j] == nil {
					continue
				}
				if j == 0 && k.def.view {
					t = t.Clone() // a view of another constant: own the data
				}
				outs[j] = constStatic(t)
			}
		}
		folded := true
		for j, o := range c.Outputs {
			if o != nil && outs[j].val == nil {
				folded = false
			}
		}
		for j, o := range c.Outputs {
			if o == nil {
				continue
			}
			if folded {
				t := outs[j].val
				o = &graph.Value{Name: o.Name, DType: t.DType, Shape: append([]int{}, t.Shape...), Const: t}
				f.Inits = append(f.Inits, o)
			} else {
				outs[j].val = nil // the node runs: nothing downstream folds on it
			}
			val[n.Outputs[j]] = o
			st[o] = outs[j]
		}
		if !folded {
			f.Nodes = append(f.Nodes, c)
			ks = append(ks, k)
		}
	}
	for _, v := range g.Outputs {
		f.Outputs = append(f.Outputs, val[v])
	}
	return f, ks, st, nil
}

// prune drops the nodes none of whose outputs reaches a graph output (after
// folding, the Shape whose dims were all read statically, for instance), so
// Run does not compute them. Every op here is free of side effects.
func prune(g *graph.Graph, ks []*compiled) (*graph.Graph, []*compiled) {
	used := map[*graph.Value]bool{}
	for _, v := range g.Outputs {
		used[v] = true
	}
	keep := make([]bool, len(g.Nodes))
	dropped := false
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			keep[i] = keep[i] || (o != nil && used[o])
		}
		if !keep[i] {
			dropped = true
			continue
		}
		for _, in := range n.Inputs {
			if in != nil {
				used[in] = true
			}
		}
	}
	if !dropped {
		return g, ks
	}
	p := *g
	p.Nodes = nil
	var pk []*compiled
	for i, n := range g.Nodes {
		if keep[i] {
			p.Nodes = append(p.Nodes, n)
			pk = append(pk, ks[i])
		}
	}
	return &p, pk
}

// tooLarge reports inferred outputs above foldMaxElements in all.
func tooLarge(outs []static) bool {
	total := 0
	for _, s := range outs {
		if !s.dimsKnown() {
			continue
		}
		n := knownProduct(s.shape)
		if n > foldMaxElements-total {
			return true
		}
		total += n
	}
	return false
}

// nodeErr wraps a kernel error with the node it happened in (unless it
// already names one).
func nodeErr(n *graph.Node, err error) error {
	switch err.(type) {
	case *NodeError, *UnsupportedError:
		return err
	}
	return &NodeError{Node: n.Name, Op: n.Op, Err: err}
}
