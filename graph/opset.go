package graph

// Opsets of the default ONNX domain. These are the one definition of what
// "opset 0" means and how far the readers go; export and runtime use them.
const (
	// DefaultOpset is the opset a graph with Opset 0 (built by pixelgraph,
	// not imported) follows and is written at: Conv-11, Relu-13, Add-13 and
	// Softmax-13 are the definitions in force.
	DefaultOpset = 13
	// MinOpset is the oldest default-domain opset pixelgraph reads and runs:
	// the runtime implements the early forms of the ops it claims
	// (consumed_inputs, the broadcast/axis attributes of Add-6, is_test,
	// spatial, attributes that later became inputs). Files are written at
	// opset 7 or newer (export.MinOpset).
	MinOpset = 1
	// MaxOpset is the newest default-domain opset pixelgraph reads and runs:
	// the semantics of every op it claims are known up to it.
	MaxOpset = 21
)

// OpsetOf returns the default-domain opset g follows: g.Opset, or
// DefaultOpset when it is 0.
func OpsetOf(g *Graph) int {
	if g.Opset == 0 {
		return DefaultOpset
	}
	return g.Opset
}
