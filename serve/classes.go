package serve

import (
	"github.com/pixelgraph/pixelgraph/graph"
)

// Classes is the number of classes of a conditional model, 0 for an
// unconditional one; /api/info reports it, class= is bounded by it and
// required by it (a conditional model is sampled for one class).
//
// A model is conditional when it has one conditioning input
// (graph.CondInputs: an integer [N] label): our Gated PixelCNN's classes
// come from its config; a foreign file's from the smallest table a Gather
// indexes with the label (torch's nn.Embedding).
func Classes(g *graph.Graph) int {
	conds := graph.CondInputs(g)
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
