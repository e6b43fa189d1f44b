//go:build amd64 && !purego

package peak

import "github.com/pixelgraph/pixelgraph/internal/kernels"

// fmaAVX512 runs iters iterations of 12 independent VFMADD231PS on ZMM
// registers (12 FMAs × 16 lanes × 2 = 384 flops each); peak_amd64.s.
//
//go:noescape
func fmaAVX512(iters int, out *[16]float32)

// fmaAVX2 runs iters iterations of 12 independent VFMADD231PS on YMM
// registers (12 FMAs × 8 lanes × 2 = 192 flops each); peak_amd64.s.
//
//go:noescape
func fmaAVX2(iters int, out *[16]float32)

var (
	avx512 = loop{name: "avx512-fma", flopsPerIter: 384, lanes: 16, run: fmaAVX512}
	avx2   = loop{name: "avx2-fma", flopsPerIter: 192, lanes: 8, run: fmaAVX2}
)

// loops lists the loops this CPU, OS and build can run, widest first. The
// one CPU-feature check is internal/kernels' (its Max level: what the CPU
// and the build allow, before PIXELGRAPH_CPU lowers what runs).
func loops() []loop {
	var ls []loop
	switch kernels.CPU().Max {
	case "avx512":
		ls = append(ls, avx512, avx2)
	case "avx2":
		ls = append(ls, avx2)
	}
	return append(ls, goScalar)
}

// best is the widest loop this CPU runs.
func best() loop { return loops()[0] }
