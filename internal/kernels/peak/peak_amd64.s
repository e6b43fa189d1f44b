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

// SETUP zeroes the twelve accumulators (register 0-11) and sets every lane
// of a and b (registers 12, 13) to 1.0.
#define SETUP(a, b) \
	VXORPS Y0, Y0, Y0; \
	VXORPS Y1, Y1, Y1; \
	VXORPS Y2, Y2, Y2; \
	VXORPS Y3, Y3, Y3; \
	VXORPS Y4, Y4, Y4; \
	VXORPS Y5, Y5, Y5; \
	VXORPS Y6, Y6, Y6; \
	VXORPS Y7, Y7, Y7; \
	VXORPS Y8, Y8, Y8; \
	VXORPS Y9, Y9, Y9; \
	VXORPS Y10, Y10, Y10; \
	VXORPS Y11, Y11, Y11; \
	MOVL $0x3f800000, AX; \
	VMOVD AX, X12; \
	VPBROADCASTD X12, a; \
	VMOVAPS a, b

// FMA12 adds a·b to each of the twelve accumulators r0-r11.
#define FMA12(a, b, r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11) \
	VFMADD231PS a, b, r0; \
	VFMADD231PS a, b, r1; \
	VFMADD231PS a, b, r2; \
	VFMADD231PS a, b, r3; \
	VFMADD231PS a, b, r4; \
	VFMADD231PS a, b, r5; \
	VFMADD231PS a, b, r6; \
	VFMADD231PS a, b, r7; \
	VFMADD231PS a, b, r8; \
	VFMADD231PS a, b, r9; \
	VFMADD231PS a, b, r10; \
	VFMADD231PS a, b, r11

// SUM12 sums the twelve accumulators into r0.
#define SUM12(r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11) \
	VADDPS r1, r0, r0; \
	VADDPS r2, r0, r0; \
	VADDPS r3, r0, r0; \
	VADDPS r4, r0, r0; \
	VADDPS r5, r0, r0; \
	VADDPS r6, r0, r0; \
	VADDPS r7, r0, r0; \
	VADDPS r8, r0, r0; \
	VADDPS r9, r0, r0; \
	VADDPS r10, r0, r0; \
	VADDPS r11, r0, r0

// func fmaAVX512(iters int, out *[16]float32)
// 12 zmm FMAs per iteration (AVX-512F): 384 flops.
TEXT ·fmaAVX512(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	SETUP(Z12, Z13)
	TESTQ CX, CX
	JLE fmaAVX512_done

fmaAVX512_loop:
	FMA12(Z12, Z13, Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	DECQ CX
	JNZ fmaAVX512_loop

fmaAVX512_done:
	SUM12(Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11)
	VMOVUPS Z0, (DI)
	VZEROUPPER
	RET

// func fmaAVX2(iters int, out *[16]float32)
// 12 ymm FMAs per iteration (AVX2 + FMA3): 192 flops; out's first 8 lanes.
TEXT ·fmaAVX2(SB), NOSPLIT, $0-16
	MOVQ iters+0(FP), CX
	MOVQ out+8(FP), DI
	SETUP(Y12, Y13)
	TESTQ CX, CX
	JLE fmaAVX2_done

fmaAVX2_loop:
	FMA12(Y12, Y13, Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	DECQ CX
	JNZ fmaAVX2_loop

fmaAVX2_done:
	SUM12(Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11)
	VMOVUPS Y0, (DI)
	VZEROUPPER
	RET
