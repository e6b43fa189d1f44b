// Package peak measures a core's peak float32 multiply-add rate, the limit
// that `pixelgraph bench` reports each engine's GFLOP/s against.
//
// Invariants:
//   - FMA runs the widest loop the CPU and the OS support (AVX-512F, else
//     AVX2 with FMA3, else plain Go) and names it in Result.Loop, so a
//     figure always says what it is the peak of.
//   - The loops work on registers only (no memory traffic, no denormals),
//     with twelve independent accumulators: more than the latency ×
//     throughput of FMA on any x86 core, so the loop is bound by FMA
//     throughput alone.
//   - Each loop's flop count per iteration is checked by running it and
//     reading back its accumulators (peak_test.go), not just asserted.
//   - The figure is the best of the repetitions: other load on the core can
//     only lower a repetition, never raise it.
//
// Which loops run is decided by internal/kernels' one CPU-feature check
// (kernels.CPU().Max). The hand-written assembly (peak_amd64.s) is twelve
// FMAs in a loop, a measuring instrument rather than a kernel, so it stays
// outside the kernels' generator.
package peak
