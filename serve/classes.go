package serve

import (
	"github.com/pixelgraph/pixelgraph/graph"
)

// Classes is the number of classes of a conditional model, 0 for an
// unconditional one (graph.Classes); /api/info reports it, class= is
// bounded by it and required by it (a conditional model is sampled for one
// class).
func Classes(g *graph.Graph) int { return graph.Classes(g) }
