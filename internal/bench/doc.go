// Package bench times repeated runs of a function for `pixelgraph bench`:
// warm-up, then repetitions until a time budget is spent (at least a
// minimum number), reporting the median wall-clock time and the process
// CPU time per repetition. Several functions can be timed in alternation
// (Interleave), and the per-round ratios of two of them summarized
// (PairedRatios: median, min, max). It also reads the process's peak
// resident set size and the machine's load average, which a benchmark on a
// shared machine should report beside its figures.
//
// Invariants:
//   - CPU time and peak RSS are process-wide: they include every goroutine
//     and thread of the process (ONNX Runtime's and OpenBLAS's included),
//     not only the function timed.
//   - Interleave keeps each function's times in round order, so that
//     Wall[i] of two results were measured in the same round, under the
//     same machine load; PairedRatios relies on that.
//   - A ratio of medians is not a median of ratios: PairedRatios divides
//     round by round, so one slow round of one engine cannot move the
//     verdict unless it is typical.
//   - Nothing here asserts a time: callers report figures.
package bench
