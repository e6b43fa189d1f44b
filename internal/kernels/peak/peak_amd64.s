//go:build amd64 && !purego

// FMA throughput loops for FMA (peak.go): twelve independent accumulators
// (registers 0-11, zeroed; VXORPS on the YMM half also clears a ZMM's upper
// lanes) += register 12 · register 13 (both 1.0 in every lane), so no chain
// waits on another and no denormal slows a lane. At the end the twelve
// accumulators are summed into out (each lane: 12·iters while that is exact
// in float32), which the test checks: every FMA of every lane ran.
// Hand-written, not generated: they touch no memory in the loop and exist
// only to measure the core.

#include "textflag.h"

// func fmaAVX512(iters int, out *[16]float32)
// 12 zmm FMAs per iteration (AVX-512F): 384 flops.
TEXT ·fmaAVX512(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVL $0x3f800000, AX // 1.0
	VMOVD AX, X12
	VPBROADCASTD X12, Z12
	VMOVAPS Z12, Z13
	TESTQ CX, CX
	JLE fmaAVX512_done

fmaAVX512_loop:
	VFMADD231PS Z12, Z13, Z0
	VFMADD231PS Z12, Z13, Z1
	VFMADD231PS Z12, Z13, Z2
	VFMADD231PS Z12, Z13, Z3
	VFMADD231PS Z12, Z13, Z4
	VFMADD231PS Z12, Z13, Z5
	VFMADD231PS Z12, Z13, Z6
	VFMADD231PS Z12, Z13, Z7
	VFMADD231PS Z12, Z13, Z8
	VFMADD231PS Z12, Z13, Z9
	VFMADD231PS Z12, Z13, Z10
	VFMADD231PS Z12, Z13, Z11
	DECQ CX
	JNZ fmaAVX512_loop

fmaAVX512_done:
	VADDPS Z1, Z0, Z0
	VADDPS Z2, Z0, Z0
	VADDPS Z3, Z0, Z0
	VADDPS Z4, Z0, Z0
	VADDPS Z5, Z0, Z0
	VADDPS Z6, Z0, Z0
	VADDPS Z7, Z0, Z0
	VADDPS Z8, Z0, Z0
	VADDPS Z9, Z0, Z0
	VADDPS Z10, Z0, Z0
	VADDPS Z11, Z0, Z0
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func fmaAVX2(iters int, out *[16]float32)
// 12 ymm FMAs per iteration (AVX2 + FMA3): 192 flops; out's first 8 lanes.
TEXT ·fmaAVX2(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	VXORPS Y0, Y0, Y0
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2
	VXORPS Y3, Y3, Y3
	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	MOVL $0x3f800000, AX // 1.0
	VMOVD AX, X12
	VPBROADCASTD X12, Y12
	VMOVAPS Y12, Y13
	TESTQ CX, CX
	JLE fmaAVX2_done

fmaAVX2_loop:
	VFMADD231PS Y12, Y13, Y0
	VFMADD231PS Y12, Y13, Y1
	VFMADD231PS Y12, Y13, Y2
	VFMADD231PS Y12, Y13, Y3
	VFMADD231PS Y12, Y13, Y4
	VFMADD231PS Y12, Y13, Y5
	VFMADD231PS Y12, Y13, Y6
	VFMADD231PS Y12, Y13, Y7
	VFMADD231PS Y12, Y13, Y8
	VFMADD231PS Y12, Y13, Y9
	VFMADD231PS Y12, Y13, Y10
	VFMADD231PS Y12, Y13, Y11
	DECQ CX
	JNZ fmaAVX2_loop

fmaAVX2_done:
	VADDPS Y1, Y0, Y0
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y0, Y0
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y0, Y0
	VADDPS Y6, Y0, Y0
	VADDPS Y7, Y0, Y0
	VADDPS Y8, Y0, Y0
	VADDPS Y9, Y0, Y0
	VADDPS Y10, Y0, Y0
	VADDPS Y11, Y0, Y0
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
