// Package runtime runs a *graph.Graph in Go: any graph built by the DSL or
// imported from ONNX, at any batch size.
//
//	p, err := runtime.Compile(g) // validates once: ops, opsets, attributes
//	out, err := p.Run(ctx, map[string]*graph.Tensor{"pixels": x})
//
// Run(ctx, g, inputs) does both in one call.
//
// Invariants:
//   - Compile rejects, before anything runs, every node whose op, domain,
//     opset or attribute is outside the supported set (see Ops) with an
//     *UnsupportedError naming node, op, opset and attribute. Attributes are
//     never silently ignored.
//   - Semantics follow the ONNX definition in force at the graph's opset
//     (g.Opset; 0 means a graph built by pixelgraph and is read as 13):
//     Softmax/LogSoftmax flatten at axis before opset 13 and work on one axis
//     from 13; Squeeze/Unsqueeze take axes as an attribute before 13 and as an
//     input from 13; Add/Sub/Mul/Div use the legacy broadcast/axis attributes
//     before opset 7 and numpy broadcasting from 7.
//   - Compile folds first (Fold, fold.go): every value that does not depend
//     on a graph input is computed once, by the kernels Run uses, and the
//     nodes that computed only such values never run. Static shapes are
//     inferred from the declared input shapes (static.go), so Shape of a
//     value with known dims, and Gather/Slice/Concat of the known elements
//     of a shape vector, fold even when the batch dim is symbolic. A
//     constant subgraph that fails (an index out of range, a bad Reshape)
//     is a compile error naming node, op and input. Inference never guesses:
//     a dim it cannot prove stays unknown and is computed at run time.
//   - Inputs are checked against the graph's declared inputs before any node
//     runs: every input present, no unknown names, dtype equal, rank equal,
//     fixed dims equal; symbolic dims are free but a dim name used twice
//     ("N") must bind to one size. Errors are *InputError naming the input.
//   - Tensors are graph.Tensor: float32 in F32, float64 in F64, every integer
//     type and bool in I64 holding values in the range of the declared type,
//     float16 in F32 holding half-precision values (Cast, the data-moving
//     ops and the elementwise arithmetic take it and round each result to
//     half once). Integer arithmetic wraps as the declared type does (uint8
//     200+100 = 44) and integer Div truncates toward zero like C.
//   - Inference only, except where training is deterministic:
//     BatchNormalization-14's training_mode (batch statistics) and Dropout
//     with ratio 0. is_test=0 (opsets before 7) and random dropout are
//     refused with an error naming node, op and attribute or input.
//   - Kernels never write to their inputs. Within a Run, the float32 buffer
//     of a value is recycled for a later node once the value and every view
//     of it (Reshape, Flatten, Squeeze, Unsqueeze, Identity) are dead; inputs,
//     initializers and anything reaching an output are never recycled.
//     Returned outputs never share memory with the caller's inputs, the
//     graph's initializers or each other, so callers may modify them.
//   - Float32 Conv, Gemm and MatMul accumulate in float32 (the shared
//     kernels' SGEMM, internal/kernels: assembly at the AVX-512 and AVX2
//     levels, gonum's at the generic one); the conformance tolerance is
//     |got-ref| <= 1e-7 + 1e-3*|ref|.
//   - A 2-D float32 Conv with constant weights (and bias) and group 1 runs on
//     the kernels' ConvPlan (fastconv.go): its live taps are layers.Taps
//     (the mask's, or the taps whose weight is non-zero for some output and
//     input channel), the weight is packed once, and a plan is cached per
//     input size. Other Convs (1-D,
//     3-D, grouped, float64, weights fed at run time) run the generic
//     im2col + GEMM, which skips im2col rows whose constant weights are zero
//     for every output channel of a group. Either way a masked PixelCNN tap
//     costs nothing, and the result equals the dense product except where an
//     input at a skipped tap is Inf or NaN (dense would give NaN there).
//     Weights fed at run time are never pruned.
//   - Compile builds the graph's layer plan (internal/layers: one table of
//     layer classes, one set of exact fusion rules, on the folded graph).
//     The layers (Conv, Relu/Sigmoid/Tanh/Identity, Add/Sub/Mul/Div of
//     activations or with a broadcast constant, the gate tanh(a)·σ(b) of two
//     values or of one value's channel halves, channel Slices, Embed: a
//     conditioning input's table row added per image) of a graph with a
//     float32 NCHW image input and integer [N] conditioning inputs
//     (graph.PixelCNN, graph.GatedPixelCNN, a torch Gated PixelCNN: all of
//     it; a label out of a table's range is the Gather's error) run
//     as a chain (chain.go): the batch is cut into chunks (one image each
//     channels-last, 1-4 images NCHW),
//     each chunk runs every layer in its own goroutine on buffers reused
//     across Runs, and a Run allocates only its outputs (plus a few words).
//     With more threads than images, an image runs in bands of rows, one
//     goroutine a band, when every layer is row-causal (reads rows above or
//     on its own only: masked convs, 1x1s, pointwise layers): bit-identical
//     to whole images (TestChainRowBands).
//     Nodes outside the layers (a trailing Softmax, say) then run node by
//     node on the values the chain exports. Results are bit-identical to
//     the node-by-node path with the same conv kernels
//     (TestChainFusedEqualsUnfused, TestChainLayerKinds,
//     TestChainThenGeneric). WritePlan (and `pixelgraph inspect`) says which
//     path every node takes and why.
//   - A Run keeps at most Options.Threads (default GOMAXPROCS) goroutines
//     busy, the generic path's SGEMMs included. The package sets no
//     process-wide state.
//   - A Program is immutable after Compile and safe for concurrent Run calls.
//     ctx is checked between nodes; a cancelled run returns ctx.Err().
//   - The package never prints.
package runtime
