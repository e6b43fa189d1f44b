package runtime

import (
	"io"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// WritePlan writes the layer plan (internal/layers) CompileWith(g, opts)
// runs g with: the receptive field of the logits, whether the fast chain or
// the generic interpreter runs the graph (and, when the generic one, which
// node keeps the chain out), each node's engine path and the layers with
// their fusions. `pixelgraph inspect` prints it, so a slow path is visible.
func WritePlan(w io.Writer, g *graph.Graph, opts Options) error {
	f, _, _, err := fold(g, graph.OpsetOf(g), false)
	if err != nil {
		return err
	}
	kept := map[string]bool{}
	for _, n := range f.Nodes {
		for _, o := range n.Outputs {
			if o != nil {
				kept[o.Name] = true
			}
		}
	}
	var folded []*graph.Node
	for _, n := range g.Nodes {
		gone := true
		for _, o := range n.Outputs {
			if o != nil && kept[o.Name] {
				gone = false
			}
		}
		if gone {
			folded = append(folded, n)
		}
	}
	direct := kernels.HasDirect() && !opts.NoDirect
	pl, err := layers.Build(f, layers.Options{Fuse: chainFusions(!opts.NoFusion, direct), Folded: folded})
	if err != nil {
		return err
	}
	return pl.Write(w)
}
