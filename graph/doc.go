// Package graph is pixelgraph's model description: a small DSL (Builder) that
// reads like the PixelCNN paper, and the in-memory IR (Graph, Node, Value,
// Tensor) that every other package consumes.
//
// Invariants, checked by Build and by Validate:
//   - Nodes are in topological order and every value is produced once.
//   - Activations are NCHW float32, weights OIHW; the batch dimension of a
//     built graph is symbolic ("N").
//   - A masked Conv weight carries its MaskKind on its Value, and every tap the
//     mask hides is exactly 0 wherever the weight is stored: the mask is
//     multiplied in when the weight is created and whenever it is set
//     (SetConst). Mask is the only code that knows the mask geometry.
//   - Names are deterministic: parameters are scoped ("res03/b/W"), other
//     values take their node's scoped name or a counter.
//
// The package uses the standard library only.
package graph
