package serve

import (
	"github.com/pixelgraph/pixelgraph/graph"
)

// Classes is the number of classes of a conditional model, 0 for an
// unconditional one; /api/info reports it and class= is bounded by it.
//
// runtime/sample has no conditional sampler yet, so every model the server
// can sample is unconditional and this is 0. When the Gated PixelCNN with
// a class input arrives, this reads its class count and run passes
// drawParams.Class to the sampler: those are the only two places to wire.
func Classes(g *graph.Graph) int {
	_ = g
	return 0
}
