// Package kernels holds pixelgraph's fast float32 kernels, shared by the Go
// runtime (inference) and train (gorgonia ops): SGEMM, and 2-D convolution
// forward and backward as im2col over the live taps of a masked kernel
// followed by one SGEMM per band of output rows.
//
// # Backends
//
// SGEMM is chosen at build time. The default cgo build calls OpenBLAS's
// cblas_sgemm (Debian libopenblas-dev, linked with -lopenblas); with
// CGO_ENABLED=0 or the build tag purego it is gonum's pure-Go Sgemm, about
// 15x slower on this machine. Backend names the one linked in. Both are
// tested:
//
//	go test ./internal/kernels/
//	CGO_ENABLED=0 go test ./internal/kernels/
//
// OpenBLAS runs one thread per call (openblas_set_num_threads(1) at init,
// process-wide); SetThreads sets how many goroutines this package runs, so
// the two never oversubscribe the cores. gonum's Sgemm may itself use up to
// GOMAXPROCS goroutines.
//
// # Layouts and invariants
//
//   - Activations are NCHW, weights OIHW, row-major float32, as in ONNX and
//     the graph package; no transposes.
//   - A ConvPlan fixes a conv's geometry and its live taps T (ky·KW+kx,
//     increasing; see LiveTaps(graph.Mask(kind, kh, kw))). Weights are used
//     packed as (O, C·T) in (c, tap) order (ConvPlan.Pack); dead taps are
//     never read, never multiplied, and their gradient is exactly 0
//     (ConvPlan.Unpack writes them as 0).
//   - Plans are immutable and safe for concurrent use. Scratch memory lives
//     in a Workspace, one per concurrent caller, grown once and reused: in
//     steady state Forward and Backward with one thread allocate nothing.
//   - Forward overwrites y (or adds to it with Fuse.Accumulate); Backward
//     overwrites dx, dw, db. Shape mismatches panic with both shapes: they
//     are programming errors, as in gonum's blas.
//
// # Channels-last direct convolution
//
// ForwardNHWC is Forward for activations stored (N,H,W,C), with the weight
// packed once by PackDirect. On amd64 CPUs with AVX-512 (cgo build) it runs
// a direct kernel (nhwc_c.go): tiles of 6 output pixels by 64 output
// channels in registers, each input value broadcast from where it lies (a
// zero row where a tap falls in the padding), the weight in L1-sized
// blocks; no im2col, no packing of activations, bias and ReLUs in the
// epilogue. Elsewhere it is a plain Go loop (HasDirect reports which). The
// Go runtime's chain uses it when HasDirect; training stays NCHW.
//
// # Use from runtime and train
//
// Runtime (inference): per Conv layer and input size, once: NewConvPlan with
// Taps = the layer plan's live taps (internal/layers.Taps: the mask's, or
// the zero pattern of an imported weight), then wp := plan.Pack(nil, W). Per
// run: plan.Forward(ws, y, x, wp, B, n, fuse), fusing a Relu that feeds the
// conv (ReluIn), a Relu that follows it (ReluOut) and an Add of the output
// into a residual buffer (Accumulate). Cut big batches into chunks of 1-4
// images that run the whole graph each, one chunk per goroutine with
// Workspace{Threads: 1}: activations then stay in L2 from layer to layer
// (see seedNet in seed_test.go).
//
// Train (a gorgonia Op): pack the current W every step (plan.Pack into a
// reused slice; cheap), Forward in Do, and in the gradient
// Backward(ws, dx, dwp, db, dy, x, wp, n, reluIn) then Unpack(dW, dwp):
// masked taps of dW come out exactly 0, so W stays masked under any solver.
//
// Benchmarks (BenchmarkSgemm, BenchmarkConv, BenchmarkSeedForward) report
// GFLOP/s and images/s; docs/BENCHMARKS.md records the figures and commands.
package kernels
