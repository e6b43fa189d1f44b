package sample

import (
	"context"
	"errors"

	"github.com/pixelgraph/pixelgraph/graph"
)

// GraphForward runs g with the Go runtime, one call per forward pass.
// TEMPORARY until package runtime lands.
func GraphForward(g *graph.Graph) Forward {
	return func(ctx context.Context, x []float32, n int) ([]float32, error) {
		return nil, errors.New("runtime not available yet")
	}
}
