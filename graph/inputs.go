package graph

import (
	"fmt"
	"slices"
)

// CondInputs returns g's conditioning inputs: the integer inputs of shape
// [N] that are not initializers (a class label per image), in input order.
func CondInputs(g *Graph) []*Value {
	var cs []*Value
	for _, v := range g.Inputs {
		if !v.IsConst() && v.DType.IsInteger() && v.DType != Bool && len(v.Shape) == 1 {
			cs = append(cs, v)
		}
	}
	return cs
}

// ImageInput returns g's image input: its only input that is neither an
// initializer nor a conditioning input.
func ImageInput(g *Graph) (*Value, error) {
	conds := CondInputs(g)
	var in *Value
	for _, v := range g.Inputs {
		if v.IsConst() || slices.Contains(conds, v) {
			continue
		}
		if in != nil {
			return nil, fmt.Errorf("graph has more than one image input (%s, %s)", in.Name, v.Name)
		}
		in = v
	}
	if in == nil || len(in.Shape) != 4 {
		return nil, fmt.Errorf("graph needs one (N,C,H,W) image input")
	}
	return in, nil
}

// Classes returns the number of classes of a class-conditional model, 0
// for one that is not: a model with one conditioning input (CondInputs)
// has its config's classes (our Gated PixelCNN), or else the rows of the
// smallest constant table a Gather indexes with that input (torch's
// nn.Embedding).
func Classes(g *Graph) int {
	conds := CondInputs(g)
	if len(conds) != 1 {
		return 0
	}
	if c := g.Config; c != nil && c.Classes > 0 {
		return c.Classes
	}
	k := 0
	for _, n := range g.Nodes {
		if n.Op == "Gather" && len(n.Inputs) == 2 && n.Inputs[1] == conds[0] && n.Inputs[0].IsConst() {
			if s := n.Inputs[0].Const.Shape; len(s) > 0 && (k == 0 || s[0] < k) {
				k = s[0]
			}
		}
	}
	return k
}
