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
