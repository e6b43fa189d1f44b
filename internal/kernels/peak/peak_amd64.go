//go:build amd64 && !purego

package peak

import "golang.org/x/sys/cpu"

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

// loops lists the loops this CPU and OS can run, widest first (x/sys/cpu
// checks that the OS saves the registers too).
func loops() []loop {
	var ls []loop
	if cpu.X86.HasAVX512F {
		ls = append(ls, avx512)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ls = append(ls, avx2)
	}
	return append(ls, goScalar)
}

// best is the widest loop this CPU runs.
func best() loop { return loops()[0] }
