package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// pack emits transpose8 and transpose6, the core of the GEMM packing
// routines (package kernels' pack.go): they turn 8 (or 6) rows of a
// row-major matrix into a panel whose rows are the columns: the AVX-512
// level's 8-row panels and the AVX2 level's 6-row ones.
func pack() {
	transpose(8, false)
	transpose(6, false)
	transpose(8, true)
}

// transpose emits transpose<rows>[Relu], rows 8 or 6; with relu each value
// is stored as max(v, 0) (the weight gradient's packing of relu(x)).
func transpose(rows int, reluIn bool) {
	name := fmt.Sprintf("transpose%d", rows)
	if reluIn {
		name += "Relu"
	}
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, k int)")
	Pragma("noescape")
	v := "src[r·lds + j]"
	if reluIn {
		v = "max(src[r·lds + j], 0)"
	}
	Doc(fmt.Sprintf("%s sets dst[j·ldd + r] = %s for rows r < %d and", name, v, rows),
		"columns j < k (strides in bytes, k a multiple of 8): 8×8 blocks",
		"transposed in registers. AVX. transpose6 reads 6 rows and stores 8",
		"values per column, the last 2 zero: with ldd = 24 bytes (a panel of 6",
		"rows) each store overwrites the previous one's 2 extra values, and the",
		"last one writes 2 zeros past the block (dst needs that room).")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	k := Load(Param("k"), GP64())
	lds3, ldd3 := GP64(), GP64()
	LEAQ(Mem{Base: lds, Index: lds, Scale: 2}, lds3)
	LEAQ(Mem{Base: ldd, Index: ldd, Scale: 2}, ldd3)
	s4, d4 := GP64(), GP64()

	loop, done := "loop", "done"
	Label(loop)
	CMPQ(k, U8(8))
	JL(LabelRef(done))
	LEAQ(Mem{Base: src, Index: lds, Scale: 4}, s4)
	rowAt := func(base, ld, ld3 Register, i int) Mem {
		switch i % 4 {
		case 0:
			return Mem{Base: base}
		case 1:
			return Mem{Base: base, Index: ld, Scale: 1}
		case 2:
			return Mem{Base: base, Index: ld, Scale: 2}
		default:
			return Mem{Base: base, Index: ld3, Scale: 1}
		}
	}
	var zero VecVirtual
	if reluIn {
		zero = YMM()
		VXORPS(zero, zero, zero)
	}
	var r [8]VecVirtual
	for i := range r {
		r[i] = YMM()
		if i >= rows {
			VXORPS(r[i], r[i], r[i])
			continue
		}
		base := src
		if i >= 4 {
			base = s4
		}
		VMOVUPS(rowAt(base, lds, lds3, i), r[i])
		if reluIn {
			relu(r[i], zero)
		}
	}
	// t: pairs of rows interleaved; u: quadruples; out: columns
	var t, u [8]VecVirtual
	for i := 0; i < 8; i += 2 {
		t[i], t[i+1] = YMM(), YMM()
		VUNPCKLPS(r[i+1], r[i], t[i])   // r_i[0] r_i+1[0] r_i[1] r_i+1[1] | 4,5
		VUNPCKHPS(r[i+1], r[i], t[i+1]) // r_i[2] r_i+1[2] r_i[3] r_i+1[3] | 6,7
	}
	for q := 0; q < 2; q++ { // rows 0-3, rows 4-7
		t0, t1, t2, t3 := t[4*q], t[4*q+1], t[4*q+2], t[4*q+3]
		u[4*q+0], u[4*q+1], u[4*q+2], u[4*q+3] = YMM(), YMM(), YMM(), YMM()
		VSHUFPS(U8(0x44), t2, t0, u[4*q+0]) // column 0 (lo) and 4 (hi) of 4 rows
		VSHUFPS(U8(0xEE), t2, t0, u[4*q+1]) // columns 1, 5
		VSHUFPS(U8(0x44), t3, t1, u[4*q+2]) // columns 2, 6
		VSHUFPS(U8(0xEE), t3, t1, u[4*q+3]) // columns 3, 7
	}
	LEAQ(Mem{Base: dst, Index: ldd, Scale: 4}, d4)
	for j := 0; j < 8; j++ {
		o := YMM()
		imm := U8(0x20) // low halves: columns 0-3
		if j >= 4 {
			imm = U8(0x31) // high halves: columns 4-7
		}
		VPERM2F128(imm, u[4+j%4], u[j%4], o)
		base := dst
		if j >= 4 {
			base = d4
		}
		VMOVUPS(o, rowAt(base, ldd, ldd3, j))
	}
	ADDQ(U8(32), src)
	LEAQ(Mem{Base: d4, Index: ldd, Scale: 4}, dst)
	SUBQ(U8(8), k)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}
