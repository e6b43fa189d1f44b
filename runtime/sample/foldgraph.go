package sample

import "github.com/pixelgraph/pixelgraph/graph"

// foldedGraph returns a shallow copy of g in which every value computed
// from constants alone is an initializer and the nodes computing them are
// gone, so a mask applied at run time (Mul(W, M) feeding a Conv) shows in
// the weight's zero pattern. g is not modified.
func foldedGraph(g *graph.Graph) *graph.Graph {
	consts := foldConsts(g)
	f := *g
	f.Nodes, f.Inits = nil, append([]*graph.Value(nil), g.Inits...)
	repl := map[*graph.Value]*graph.Value{}
	get := func(v *graph.Value) *graph.Value {
		if v == nil || v.IsConst() {
			return v
		}
		if r := repl[v]; r != nil {
			return r
		}
		t, ok := consts[v]
		if !ok {
			return v
		}
		r := &graph.Value{Name: v.Name, DType: t.DType, Shape: t.Shape, Const: t}
		repl[v] = r
		f.Inits = append(f.Inits, r)
		return r
	}
	for _, n := range g.Nodes {
		folded := true
		for _, o := range n.Outputs {
			if _, ok := consts[o]; o != nil && !ok {
				folded = false
			}
		}
		if folded {
			continue
		}
		c := *n
		c.Inputs = make([]*graph.Value, len(n.Inputs))
		for i, v := range n.Inputs {
			c.Inputs[i] = get(v)
		}
		f.Nodes = append(f.Nodes, &c)
	}
	return &f
}
