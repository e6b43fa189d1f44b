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
// # The kinds that come next (the Gated PixelCNN, torch.onnx's files)
//
// Each is one entry in the classes table (or one rule), one case in Shapes
// and reaches, and one kernel per engine:
//   - vertical and horizontal masked convs: nothing new, a Conv whose live
//     taps (Taps) are not a square's; Reach then says the vertical stack's
//     row y depends on rows above only (RowAhead), which the cached sampler
//     can compute a row ahead;
//   - class conditioning Gather(table [classes,2c], label int64 [N]) →
//     Unsqueeze → Add into a conv pre-activation: a value kind for per-image
//     vectors (N,C) next to images (N,C,H,W) (Value gets the kind; a second
//     graph input becomes a plan input), an Embed class for the Gather of a
//     constant table, Unsqueeze as an alias, and a Binary whose operand is
//     a vector broadcast over H and W; a vector has no spatial reach;
//   - the channel split of a 2c pre-activation into the gate's halves
//     (Split, or Slice on axis 1): a Slice class giving channels [c0,c1) of
//     a value (a view where the layout allows), with the gate rule matching
//     Mul(Tanh(slice a), Sigmoid(slice b));
//   - torch.onnx's shifts (Pad, then Slice cropping): Pad and Slice classes
//     over H and W, whose offsets enter Reach and Footprint like a conv tap.
//
// Until then those ops route to the generic interpreter, and the chain runs
// the layers before them (Plan.Chain).
package layers
