// Package train trains a PixelCNN described by a *graph.Graph through
// gorgonia: the graph is lowered to a gorgonia ExprGraph, differentiated by
// gorgonia's symbolic autodiff, run by its tape machine and updated by its
// Adam solver. It is the only pixelgraph package that imports gorgonia.
//
// Invariants:
//   - Lowering is per op, one function each (lowerConv in conv.go, lowerRelu
//     and lowerAdd in lower.go, dispatched by lowerNode), so replacing
//     gorgonia's Conv2d by a custom gorgonia Op is a local change;
//     activations are NCHW, weights OIHW, no transposes between the IR and
//     gorgonia. Unknown ops and attributes are errors.
//   - A masked conv computes with W ⊙ M, M a constant from graph.Mask, so the
//     gradient of every masked tap is exactly 0; with Adam's zero-initialised
//     moments the tap never moves from the 0 the IR holds.
//   - The loss is the mean per-pixel softmax cross-entropy over the q levels
//     (logits (N,q,H,W), softmax along axis 1, max-subtracted), in nats;
//     it is reported as nats/image and bits/dim = nats per pixel / ln 2.
//   - Gradients are clipped by their global L2 norm (over all parameters)
//     before gorgonia's Adam step; the learning rate of step k (from 0) is
//     LR·Decay^k.
//   - The same graph, options and data give the same weights: shuffling
//     is drawn from Options.Seed and the epoch, nothing else.
//   - A step whose loss or gradient norm is NaN or ±Inf returns a
//     *NonFiniteError and changes nothing; weights reach the IR only through
//     WriteBack (graph.Value.SetConst, which re-applies the masks).
//   - Optimizer state (AdamState: step count and per-parameter moments by
//     initializer name) travels beside the weights; WriteTo/ReadAdamState
//     give it a deterministic binary form for checkpoints.
//   - The library never prints; Fit reports through a callback and stops when
//     its context is cancelled, after the current step.
package train
