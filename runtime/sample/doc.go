// Package sample draws images from a PixelCNN graph, completes occluded
// images, writes PNG grids, and audits a graph's autoregressive property.
//
// Two samplers give the same images:
//
//   - Naive, the reference: for each pixel in raster order, one full forward
//     pass of the batch (Forward: the Go runtime by default, or any engine),
//     then one draw per image.
//   - Cached: the graph is compiled into an incremental plan that computes,
//     at pixel p, every layer at position p only, from cached activations of
//     earlier positions (a ring buffer per layer, as deep as its furthest
//     tap reaches back): a whole image costs about one forward pass. Each
//     layer runs by its shift, how far in raster order its value at q
//     depends on the input: position q is computed once pixel q+shift is
//     drawn. So a layer whose row depends on the rows above only (a Gated
//     PixelCNN's vertical stack) runs ahead of the pixels, a row at a time,
//     and the layers reading it may read it right of the pixel; a layer
//     that sees its own row (a torch Gated PixelCNN's vertical stack,
//     read a row later) trails behind.
//
// Invariants:
//   - Draws. Pixel p of image i uses the p-th Float64 of
//     rand.New(rand.NewPCG(seed, uint64(i))) (Uniforms); every pixel consumes
//     its draw, kept ones too. The level is the smallest k with u < cdf(k) of
//     softmax(logits/T), computed in float64 (Categorical). So any engine can
//     replay the same draws; images differ only where logits differ, and
//     logits of the two samplers differ by float rounding only. Draws within
//     BoundaryEps of a CDF boundary, where rounding may flip a level, are
//     listed in Result.NearBoundary, never hidden.
//   - Input scaling: level l is fed as l/(q−1); q is graph.Config.Levels when
//     present, else the output's channel count; the input has 1 channel.
//   - Cached runs the graph's layer plan (internal/layers: constants folded,
//     so a mask applied at run time by Mul(W, M) counts; the live taps of
//     each conv, layers.Taps), one position at a time, and only on a graph
//     it has proven causal (Prove): every live Conv tap (that can fall
//     inside the image) reads a position at or before the output pixel, and
//     the output never depends on the input pixel itself (mask A first,
//     then mask B, 1x1 or pointwise layers). Supported layers: Conv (stride
//     1, group 1, size-preserving pads, any dilation), Relu, Sigmoid, Tanh,
//     Identity, the gate tanh(a)·σ(b) (of two values or of one value's
//     channel halves), channel Slices, Embed (a conditioning input's table
//     row added per image: Options.Cond gives every conditioning input its
//     value, one per image or one for all, checked against the tables), and
//     Add/Sub/Mul/Div of activations or with a constant broadcast over
//     channels or positions; a trailing
//     channel softmax (graph.SoftmaxTail) is recognized, the plan stops at
//     the logits and the naive sampler takes the log of the probabilities,
//     so both draw from softmax(logits/T). Anything else is a
//     *UnsupportedError, a leak a *CausalityError naming node, tap and
//     offset; Method Auto then falls back to Naive and says why.
//   - The library never prints: progress goes to Options.Progress and
//     cancellation comes through the context.
package sample
