// Package train trains a PixelCNN described by a *graph.Graph through
// gorgonia: the graph is lowered to a gorgonia ExprGraph, differentiated by
// gorgonia's symbolic autodiff, run by its tape machine and updated by its
// Adam solver. It is the only pixelgraph package that imports gorgonia.
//
// Invariants:
//   - The lowering executes the graph's layer plan (internal/layers: the
//     classes, the live taps, the fusions and the values' readers are the
//     plan's), one function per layer class (lowerConv in conv.go, lowerGate
//     in gate.go, the pointwise and binary classes in lower.go, dispatched
//     by lowerLayer); activations are NCHW, weights OIHW, no transposes
//     between the IR and gorgonia. A node the plan does not make a layer is
//     an *UnsupportedError naming it and the plan's reason.
//   - Options.Conv picks the conv implementation. ConvKernels (default,
//     float32): each Conv is a kconvOp (kconv.go), a gorgonia Op whose Do
//     calls internal/kernels and whose SymDiff adds three gradient ops (x, W,
//     B) that call kernels' Backward and BackwardX; the plan's rules relu-in (a Relu read
//     only by convs: Fuse.ReluIn) and residual (an Add of a conv read by
//     nothing else: the conv adds h after its bias, the graph's rounding,
//     in the GEMM's epilogue: kernels.ForwardResidual)
//     apply, and the gate is one gateOp (kernels.Gate and GateGrad); other
//     Adds and the loss are our ops too (kloss.go). When a fused residual r is read by one other conv
//     only, as its x (a PixelCNN block's h), that conv's gradX op adds r's
//     gradient as it writes its dx (pairResiduals, kernels.BackwardX), so
//     autodiff inserts no Add of its own. gradW also sums dy's rows per image for gradB (which reads
//     gradW's output to run after it). Each op writes all of an output
//     buffer that is reused at every step; values whose lifetimes in the
//     tape's order do not overlap share one (assignBuffers, buffers.go). ConvGorgonia: gorgonia's
//     Conv2d of W ⊙ M and its elementwise loss, for comparison. Float64
//     (gradient checks) always uses gorgonia's convs, with the fused loss
//     unless ConvGorgonia.
//     Gorgonia's graph, symbolic autodiff, tape machine and Adam do the
//     training either way.
//   - A masked conv computes with W ⊙ M, so the gradient of every masked tap
//     is exactly 0: M is the plan's live taps (layers.Taps: the mask's, or
//     the zero pattern of an imported weight, which is how a torch.onnx
//     file's masks are recovered); under gorgonia M is a constant; under the
//     kernels the conv plan holds the live taps only and Unpack writes dead
//     taps of dW as 0. With Adam's zero-initialised moments a masked tap
//     never moves from the 0 the IR holds.
//   - The loss is the mean per-pixel softmax cross-entropy over the q levels
//     (logits (N,q,H,W), softmax along axis 1, max-subtracted), in nats;
//     it is reported as nats/image and bits/dim = nats per pixel / ln 2.
//     Fused (nllOp), its gradient is (softmax − onehot)/(N·H·W).
//   - Gradients are clipped by their global L2 norm (over all parameters)
//     before gorgonia's Adam step; the learning rate of step k (from 0) is
//     LR·Decay^k, or under ScheduleCosine LR·½(1+cos πp) with p the
//     fraction of Fit's budget (steps, epochs or time) done.
//   - The same graph, options and data give the same weights: shuffling
//     is drawn from Options.Seed and the epoch, nothing else, and the
//     kernels' weight gradients are summed over fixed chunks of images in a
//     fixed order, whatever the number of threads. Work spread over
//     goroutines outside the kernels (bias sums, the clip's scaling, Adam;
//     parallel.go) computes each value with the
//     same operations in the same order whatever the split.
//   - Each parameter has its own gorgonia AdamSolver, and the solvers step
//     in parallel (one parameter per task): Adam's update of a parameter
//     reads nothing else. The global norm's sum of squares stays one serial
//     chain in parameter order.
//   - A step whose loss or gradient norm is NaN or ±Inf returns a
//     *NonFiniteError and changes nothing; weights reach the IR only through
//     WriteBack (graph.Value.SetConst, which re-applies the masks).
//   - Optimizer state (AdamState: step count and per-parameter moments by
//     initializer name) travels with the weights; WriteTo/ReadAdamState
//     give it a deterministic binary form. A checkpoint (SaveCheckpoint,
//     LoadCheckpoint; checkpoint.go) is ONE ONNX file written atomically:
//     the state in its metadata (MetaAdamState, base64), with the step and
//     the effective options, so renaming or copying it keeps it resumable
//     and a kill leaves the previous checkpoint or the new one, whole.
//   - The library never prints; Fit reports through a callback and stops when
//     its context is cancelled, after the current step.
package train
