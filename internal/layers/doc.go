// Package layers turns a *graph.Graph into a plan of layers: the one
// analysis that pixelgraph's fast engines execute — the Go runtime's chain
// (inference), training's lowering onto the kernels (gorgonia ops), the
// cached sampler (one position at a time) — and that the audit and inspect
// read (receptive field, causality, which engine path runs each node).
//
//	p, err := layers.Build(g, layers.Options{Fuse: layers.FuseAll})
//	for _, l := range p.Layers { ... }      // Conv, Unary, Binary, Gate
//	p.Write(os.Stdout)                      // every node's engine path
//
// A new layer kind is written once here (its class in the classes table,
// its fusion rule if any, its reach) and once per engine kernel.
//
// Invariants:
//   - One table (classes.go) says which ops each layer class accepts; a
//     node outside it, or one its class refuses, routes to the generic
//     interpreter with the reason (Route.Reason), never silently. A node is
//     a layer only if its inputs are layer values or constants, so the
//     layers are a prefix of the graph from the image input. Plan.Fast is
//     true when every node that reaches an output is a layer, fused into
//     one, or folded; otherwise Plan.Blocker names the first node that is
//     not, and the runtime runs the layers on its chain (Plan.Chain) and the
//     rest node by node from the values the layers export (Plan.Exports).
//   - One set of fusion rules (fuse.go), each with its reason; every rule
//     is exact: a fused plan computes bit for bit what the unfused layers
//     compute. Engines select the rules their kernels implement
//     (Options.Fuse); Build applies them in node order.
//   - One derivation of a conv's live taps (Taps): the mask's taps for a
//     masked weight, the zero pattern otherwise, all taps for an all-zero
//     weight. Engines multiply only live taps; training keeps the others at
//     exactly 0.
//   - Build takes a folded graph: the runtime's folder (runtime.Fold, which
//     evaluates constant and shape subgraphs with the interpreter's own
//     kernels) makes a weight computed from initializers (Mul(W, M)) an
//     initializer; the nodes it removed are listed as PathFolded routes.
//   - Values are activations (N,C,H,W) stored per image, numbered in the
//     order they are written; a value's Readers give its lifetime (Last),
//     its Reach how far in raster order it depends on the input (the cached
//     sampler's schedule: before the pixel, a row ahead, or after it).
//   - Layers are in node order, so a layer's inputs are written by earlier
//     layers (or are the image input).
//   - The package imports only graph and the standard library.
//
// # The Gated PixelCNN and torch.onnx's files
//
//   - Vertical and horizontal masked convs (graph.MaskVA/VB/HA/HB) are
//     Convs whose live taps are not a square's; Reach says the vertical
//     stack's row y depends on rows above only (RowAhead).
//   - Conditioning: integer [N] graph inputs are Plan.Conds; Gather of a
//     constant (K, C[, 1, 1]) table by one, reshaped (Unsqueeze, Reshape,
//     Identity) to (N,C,1,1) and added to an activation, is an Embed layer
//     (y = x + T[label], cond.go); the lookup nodes are fused into it. A row
//     no Add takes stays generic.
//   - A Slice of channels is a Slice layer; the gate rule takes the two
//     halves [0,c) and [c,2c) of one value directly (Gate.Halves: torch's
//     chunk, graph.GateHalves).
//   - Shifts: a Slice cropping the rows and columns of a conv's output
//     (pytorch-generative's pad-more-then-crop) is merged into that conv,
//     whose pads shift by the crop's start and whose kernel grows by zero
//     rows or columns where a pad would be negative (ConvSpec.Crop; the
//     crop is resolved for the declared image size, Plan.CropSize); a zero
//     Pad of rows and columns read only by convs adds to their pads. Other
//     Pads and Slices (PixelCNN++'s output shifts, its crops after a
//     ConvTranspose) stay generic, with the reason.
package layers
