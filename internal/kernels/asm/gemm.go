package main

import (
	"fmt"
	"math/bits"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gemmMR is the height of a packed panel of the left operand: a is
// [⌈m/8⌉][k][8], zero-padded (package kernels' packA); gemmMR2 the same for
// the blocked SGEMM at the AVX2 level, whose 6×16 tiles (BLIS's Haswell
// micro-kernel shape) take a panel of 6 rows whole.
const (
	gemmMR  = 8
	gemmMR2 = 6
)

// gemm emits the GEMM strips (package kernels' packedGemm and the SGEMM
// macro-kernel) and the cached sampler's gemmAcc4x16.
//
// a in panels of 8 rows: gemmAVX512x{1,2,3}[Relu], 8 rows × 16·nv columns
// per tile, each vector's lanes under an opmask (a short strip takes fewer
// vectors rather than masked-off lanes); AVX2 tiles of 4 rows (half a
// panel) × 8·nv columns (at the AVX2 level, and for strips of 24 columns or
// fewer at the AVX-512 level), gemmAVX2x{1,2,3}[Relu] whole vectors and
// gemmAVX2m[Relu] one vector under a lane mask.
//
// a in panels of 6 rows (the blocked SGEMM at the AVX2 level, no ReLU of
// b): gemmAVX2r6x{1,2} tiles of 6 rows × 8·nv columns, gemmAVX2r6m one
// vector under a lane mask, and gemmAVX2r12x1 tiles of 12 rows
// (two panels) × 8 columns for a strip of 8 (m a multiple of 12: the caller
// runs a last odd panel with gemmAVX2r6x1), 12 sums where 6×8 has 6. A
// 6×16 tile loads 2 vectors of b per 6 broadcasts of a (the 4×24 tile 3 per
// 4), and its strip of b is 64 bytes a row: one cache line, where 24
// columns span two, so a strip of b read in place fits L1 (issue 10: the
// AVX2 SGEMM against OpenBLAS's Haswell kernel).
func gemm() {
	for _, reluB := range []bool{false, true} {
		for nv := 1; nv <= 3; nv++ {
			gemmKernel(fmt.Sprintf("gemmAVX512x%d", nv), isa512, nv, gemmMR, 1, 1, maskOpmask, reluB)
		}
		for nv := 1; nv <= 3; nv++ {
			gemmKernel(fmt.Sprintf("gemmAVX2x%d", nv), isa256, nv, gemmMR, 2, 1, maskNone, reluB)
		}
		gemmKernel("gemmAVX2m", isa256, 1, gemmMR, 2, 1, maskLanes, reluB)
	}
	for nv := 1; nv <= 2; nv++ {
		gemmKernel(fmt.Sprintf("gemmAVX2r6x%d", nv), isa256, nv, gemmMR2, 1, 1, maskNone, false)
	}
	gemmKernel("gemmAVX2r12x1", isa256, 1, gemmMR2, 1, 2, maskNone, false)
	gemmKernel("gemmAVX2r6m", isa256, 1, gemmMR2, 1, 1, maskLanes, false)
	gemmAcc4x16()
}

const (
	maskNone   = iota
	maskOpmask // AVX-512: m0, m1, m2 uint16, one per vector
	maskLanes  // AVX2: mask *int32, 8 lane masks for the one vector
)

// gemmKernel emits one strip kernel, name. For the m rows of a packed in
// panels of mr rows and a strip of b (k rows, ldb bytes apart, 16·nv or
// 8·nv columns), tile by tile (mr·span/halves rows: half a panel, a panel
// or, span 2, two panels, m then a multiple of 2·mr) down the rows:
//
//	c = epilogue(Σ_kk a[i,kk]·relu?(b[kk,j]))   kk increasing, one FMA each
//
// and the epilogue per flags: × alpha, then + old c, then + bias[i], then
// (8-row kernels) zero where x ≤ 0 (flagMaskX), then + r (flagAddR), then
// ReLU — with alpha 1 (no flag) exactly the conv epilogue (acc + c) + b;
// (acc + b) + r is a conv and the residual Add after it, and mask(acc) + r
// the input gradient of a conv reading relu(x) plus the residual's.
// Strides ldb and ldc are in bytes; a advances by 4·mr·k bytes per panel.
func gemmKernel(name string, is isa, nv, mr, halves, span, mask int, reluB bool) {
	var sig string
	// extra: the 8-row kernels (packedGemm's) take the epilogue operands r
	// and x, laid out as c (rows ldc bytes apart)
	extra := mr == gemmMR
	sigExtra := ""
	if extra {
		sigExtra = ", r, x *float32"
	}
	switch {
	case is.bytes == 64:
		sig = "func(m, k int, a, b *float32, ldb int, c *float32, ldc int, bias *float32" + sigExtra + ", alpha float32, m0, m1, m2 uint16, flags int)"
	case mask == maskLanes:
		sig = "func(m, k int, a, b *float32, ldb int, c *float32, ldc int, bias *float32" + sigExtra + ", alpha float32, mask *int32, flags int)"
	default:
		sig = "func(m, k int, a, b *float32, ldb int, c *float32, ldc int, bias *float32" + sigExtra + ", alpha float32, flags int)"
	}
	if reluB {
		name += "Relu"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	rows := mr * span / halves
	Doc(fmt.Sprintf("%s: GEMM strip, tiles of %d rows × %d columns (see gemm.go of the generator).", name, rows, is.bytes/4*nv))

	// b's loads and c's loads and stores: whole vectors, or each under its
	// opmask (AVX-512), or the one vector under a lane mask (AVX2)
	l := unmasked(is.bytes)
	switch mask {
	case maskOpmask:
		ks := make([]OpmaskVirtual, nv)
		for v := range ks {
			ks[v] = K()
			KMOVW(arg(fmt.Sprintf("m%d", v)), ks[v])
		}
		l = opmasked(ks)
	case maskLanes:
		lm := []VecVirtual{is.vec()}
		l = laneMasked(lm)
		l.setup()
	}
	load, store := l.load, l.store

	acc := vecGrid(is, rows, nv)
	bv := vecs(is, nv)
	a := is.vec()
	// AVX-512 has registers to spare for a zero; AVX2's 16 are all taken
	// by 12 sums, 3 b vectors and the broadcast, so a doubles as zero.
	var zero VecVirtual
	if is.bytes == 64 {
		zero = is.vec()
		zeroVecs(zero)
	}
	zeroInto := func() VecVirtual {
		if zero != nil {
			return zero
		}
		zeroVecs(a)
		return a
	}

	// Loop-carried pointers stay in registers: writing a pointer past the
	// end of its object into an argument slot could mislead the GC.
	ap := Load(Param("a"), GP64())
	cp := Load(Param("c"), GP64())
	bp := Load(Param("bias"), GP64())
	var rp, xp Register // the epilogue operands' panels (extra)
	if extra {
		rp = Load(Param("r"), GP64())
		xp = Load(Param("x"), GP64())
	}
	panel, done := newLabel("panel"), newLabel("done")
	Label(panel)
	CMPQ(arg("m"), U8(0))
	JLE(LabelRef(done))
	for h := 0; h < halves; h++ {
		if h > 0 {
			CMPQ(arg("m"), U8(h*rows))
			JLE(LabelRef(done + "next"))
		}
		for r := range acc {
			zeroVecs(acc[r]...)
		}
		ak := GP64()
		MOVQ(ap, ak)
		if h > 0 {
			ADDQ(U8(4*rows*h), ak)
		}
		var ak2 GPVirtual // span 2: the second panel, 4·mr·k bytes on
		if span == 2 {
			ak2 = GP64()
			MOVQ(arg("k"), ak2)
			IMUL3Q(U8(4*mr), ak2, ak2)
			ADDQ(ak, ak2)
		}
		bk := Load(Param("b"), GP64())
		kk := Load(Param("k"), GP64())
		epi := newLabel("epi")
		TESTQ(kk, kk)
		JZ(LabelRef(epi))
		loop := newLabel("k")
		Label(loop)
		for v := range bv {
			load(Mem{Base: bk, Disp: is.bytes * v}, v, bv[v])
		}
		if reluB {
			z := zeroInto()
			for v := range bv {
				relu(bv[v], z)
			}
		}
		for r := range acc {
			if r < mr {
				VBROADCASTSS(Mem{Base: ak, Disp: 4 * r}, a)
			} else {
				VBROADCASTSS(Mem{Base: ak2, Disp: 4 * (r - mr)}, a)
			}
			for v := range bv {
				VFMADD231PS(bv[v], a, acc[r][v])
			}
		}
		ADDQ(U8(4*mr), ak)
		if span == 2 {
			ADDQ(U8(4*mr), ak2)
		}
		ADDQ(arg("ldb"), bk)
		DECQ(kk)
		JNZ(LabelRef(loop))

		Label(epi)
		ifFlag(arg("flags"), flagAlpha, func() {
			VBROADCASTSS(arg("alpha"), a)
			for r := range acc {
				for v := range bv {
					VMULPS(a, acc[r][v], acc[r][v])
				}
			}
		})
		cr := GP64()
		MOVQ(cp, cr)
		var off GPVirtual // extra: byte offset of row r from the panel's first
		if extra {
			off = GP64()
			XORQ(off, off)
		}
		if h > 0 {
			t := GP64()
			MOVQ(arg("ldc"), t)
			IMUL3Q(U8(rows*h), t, t)
			ADDQ(t, cr)
			if extra {
				MOVQ(t, off)
			}
		}
		stored := newLabel("stored")
		for r := range acc {
			if row := h*rows + r; row > 0 {
				CMPQ(arg("m"), U8(row))
				JLE(LabelRef(stored))
			}
			ifFlag(arg("flags"), flagAcc, func() {
				for v := range bv {
					load(Mem{Base: cr, Disp: is.bytes * v}, v, a)
					VADDPS(a, acc[r][v], acc[r][v])
				}
			})
			ifFlag(arg("flags"), flagBias, func() {
				VBROADCASTSS(Mem{Base: bp, Disp: 4 * (h*rows + r)}, a)
				for v := range bv {
					VADDPS(a, acc[r][v], acc[r][v])
				}
			})
			if extra {
				ifFlag(arg("flags"), flagMaskX, func() { // × (x > 0): ReLU's gradient
					// AVX-512: the zero register and a; AVX2 (16
					// registers): two more, free once b is loaded no more
					xv, z, k := a, zero, OpmaskVirtual(nil)
					if is.bytes == 64 {
						k = K()
					} else {
						xv, z = is.vec(), is.vec()
						zeroVecs(z)
					}
					for v := range bv {
						load(Mem{Base: xp, Index: off, Scale: 1, Disp: is.bytes * v}, v, xv)
						if is.bytes == 64 {
							VCMPPS(U8(gtOQ), z, xv, k) // x > 0, false for NaN
							VMOVAPS_Z(acc[r][v], k, acc[r][v])
						} else {
							VCMPPS(U8(gtOQ), z, xv, xv)
							VANDPS(acc[r][v], xv, acc[r][v])
						}
					}
				})
				ifFlag(arg("flags"), flagAddR, func() {
					for v := range bv {
						load(Mem{Base: rp, Index: off, Scale: 1, Disp: is.bytes * v}, v, a)
						VADDPS(a, acc[r][v], acc[r][v])
					}
				})
			}
			ifFlag(arg("flags"), flagRelu, func() {
				z := zeroInto()
				for v := range bv {
					relu(acc[r][v], z)
				}
			})
			for v := range bv {
				store(acc[r][v], Mem{Base: cr, Disp: is.bytes * v}, v)
			}
			if r < rows-1 {
				ADDQ(arg("ldc"), cr)
				if extra {
					ADDQ(arg("ldc"), off)
				}
			}
		}
		Label(stored)
	}
	Label(done + "next")
	// next panel(s): a += 4·mr·span·k bytes, c += mr·span rows, bias +=
	// mr·span values, m -= mr·span
	t := GP64()
	mul := func(f int) { // t *= f
		if f&(f-1) == 0 {
			SHLQ(U8(bits.TrailingZeros(uint(f))), t)
		} else {
			IMUL3Q(U8(f), t, t)
		}
	}
	MOVQ(arg("k"), t)
	mul(4 * mr * span)
	ADDQ(t, ap)
	MOVQ(arg("ldc"), t)
	mul(mr * span)
	ADDQ(t, cp)
	if extra {
		ADDQ(t, rp)
		ADDQ(t, xp)
	}
	ADDQ(U8(4*mr*span), bp)
	SUBQ(U8(mr*span), arg("m"))
	JMP(LabelRef(panel))

	Label(done)
	VZEROUPPER()
	RET()
}

// gemmAcc4x16 is the cached sampler's kernel (formerly hand-written in
// runtime/sample): d[i][j] += Σ_kk s[i][kk]·w[kk][j] for 4 rows i and 16
// columns j, k > 0; strides in floats. AVX2 and FMA.
func gemmAcc4x16() {
	TEXT("gemmAcc4x16", NOSPLIT, "func(d *float32, ldd int, s *float32, lds int, w *float32, ldw int, k int)")
	Pragma("noescape")
	Doc("gemmAcc4x16: d (4×16, row stride ldd) += s (4×k, lds) · w (k×16, ldw); strides in floats; k > 0.")
	d := Load(Param("d"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	s := Load(Param("s"), GP64())
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	w := Load(Param("w"), GP64())
	k := Load(Param("k"), GP64())

	var dr, sr [4]Register
	dr[0], sr[0] = d, s
	for i := 1; i < 4; i++ {
		dr[i], sr[i] = GP64(), GP64()
		LEAQ(Mem{Base: dr[i-1], Index: ldd, Scale: 1}, dr[i])
		LEAQ(Mem{Base: sr[i-1], Index: lds, Scale: 1}, sr[i])
	}
	var acc [4][2]VecVirtual
	for i := range acc {
		for v := range acc[i] {
			acc[i][v] = YMM()
			VMOVUPS(Mem{Base: dr[i], Disp: 32 * v}, acc[i][v])
		}
	}
	w0, w1 := YMM(), YMM()
	Label("loop")
	VMOVUPS(Mem{Base: w}, w0)
	VMOVUPS(Mem{Base: w, Disp: 32}, w1)
	for i := range acc {
		b := YMM()
		VBROADCASTSS(Mem{Base: sr[i]}, b)
		VFMADD231PS(w0, b, acc[i][0])
		VFMADD231PS(w1, b, acc[i][1])
	}
	for i := range sr {
		ADDQ(U8(4), sr[i])
	}
	ldw := Load(Param("ldw"), GP64())
	SHLQ(U8(2), ldw)
	ADDQ(ldw, w)
	DECQ(k)
	JNZ(LabelRef("loop"))
	for i := range acc {
		for v := range acc[i] {
			VMOVUPS(acc[i][v], Mem{Base: dr[i], Disp: 32 * v})
		}
	}
	VZEROUPPER()
	RET()
}
