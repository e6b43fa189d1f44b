package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// Flags of the epilogues (direct and gemm): the same bits as package
// kernels' epi* constants.
const (
	flagBias  = 1 // add bias
	flagAcc   = 2 // add the old output
	flagRelu  = 4 // clamp at 0
	flagAlpha = 8 // multiply the sums by alpha first (gemm)
	flagMask  = 16
	flagAddR  = 32 // gemm (8-row): add the operand r
	flagMaskX = 64 // gemm (8-row): zero where the operand x is not > 0
)

// gtOQ is VCMPPS's predicate "greater than, ordered, quiet": false for NaN.
const gtOQ = 0x1e

// directRows is the tile height of the direct kernels: output pixels per
// tile, each a row of the tile.
const directRows = 6

// direct emits the direct channels-last convolution kernels: for AVX-512,
// directAVX512x{1,2,3,4}[Relu] (tiles of 6 pixels by 16·nv channels); for
// AVX2, directAVX2[Relu] (tiles of 6 pixels by 16 channels).
func direct() {
	for nv := 1; nv <= 4; nv++ {
		directKernel(isa512, nv, false)
		directKernel(isa512, nv, true)
	}
	directKernel(isa256, 2, false)
	directKernel(isa256, 2, true)
}

// isa describes a vector width.
type isa struct {
	name  string
	bytes int // bytes per vector
	vec   func() VecVirtual
}

var (
	isa512 = isa{"AVX512", 64, ZMM}
	isa256 = isa{"AVX2", 32, YMM}
)

// directSig is the kernels' signature; mask is a uint16 for AVX-512 and a
// *int32 for AVX2.
const directSig = "func(x, zeros *float32, offs *int32, ldo, taps, c int, w *float32, ldw int, y *float32, ldy, n int, bias *float32, mask %s, flags int)"

// directKernel emits one direct kernel: for n output pixels from the one
// whose tap offsets start at offs, in tiles of 6, y (pixel, channel) =
// epilogue(Σ over taps t, input channels ci, in that order, of
// relu?(x[offs[t][r] + ci]) · w[t·c + ci]), each product added by one FMA.
//
// Arguments (strides in bytes): offs[t·ldo + r] is the element offset in x
// of pixel r's input for tap t, or < 0 where it lies in the padding (then
// zeros, c zeros, is read instead); the table has 5 spare pixels at the end
// so a short last tile reads padding. w is (taps·c, ldw) and its first
// 16·nv columns are used; y's rows are ldy apart. Epilogue per flags:
// + bias (16·nv values), then + old y, then ReLU. AVX-512: mask (a uint16)
// selects the lanes of the last vector to read and write; AVX2: with
// flagMask, mask points at 16 int32 lane masks for the two vectors.
func directKernel(is isa, nv int, reluIn bool) {
	name := fmt.Sprintf("direct%sx%d", is.name, nv)
	if is.name == "AVX2" {
		name = "directAVX2"
	}
	if reluIn {
		name += "Relu"
	}
	maskType := "uint16"
	if is.bytes == 32 {
		maskType = "*int32"
	}
	TEXT(name, NOSPLIT, fmt.Sprintf(directSig, maskType))
	Pragma("noescape")
	Doc(fmt.Sprintf("%s: direct conv tiles of %d pixels × %d channels (see direct.go of the generator).", name, directRows, 16*nv))

	var k1 OpmaskVirtual
	if is.bytes == 64 {
		k1 = K()
		KMOVW(arg("mask"), k1)
	}
	zero := is.vec()
	zeroVecs(zero)
	acc := vecGrid(is, directRows, nv)
	w := vecs(is, nv)
	a := is.vec()

	// Loop-carried pointers stay in registers (see gemmKernel); n is an
	// int, counted down in its argument slot.
	tbl := Load(Param("offs"), GP64())
	yt := Load(Param("y"), GP64())
	tile, done := newLabel("tile"), newLabel("done")
	Label(tile)
	CMPQ(arg("n"), U8(0))
	JLE(LabelRef(done))
	for r := range acc {
		zeroVecs(acc[r]...)
	}
	wk := Load(Param("w"), GP64())
	op := GP64()
	MOVQ(tbl, op)
	t := Load(Param("taps"), GP64())
	epi := newLabel("epi")
	TESTQ(t, t)
	JZ(LabelRef(epi))

	tap := newLabel("tap")
	Label(tap)
	var p [directRows]GPVirtual
	for r := range p {
		off := GP64()
		p[r] = GP64()
		MOVLQSX(Mem{Base: op, Disp: 4 * r}, off)
		MOVQ(arg("x"), p[r])
		LEAQ(Mem{Base: p[r], Index: off, Scale: 4}, p[r])
		TESTQ(off, off)
		CMOVQLT(arg("zeros"), p[r])
	}
	ci := GP64()
	XORQ(ci, ci)
	ch := newLabel("ch")
	Label(ch)
	for v := range w {
		VMOVUPS(Mem{Base: wk, Disp: is.bytes * v}, w[v])
	}
	for r := range p {
		VBROADCASTSS(Mem{Base: p[r], Index: ci, Scale: 4}, a)
		if reluIn {
			relu(a, zero)
		}
		for v := range w {
			VFMADD231PS(w[v], a, acc[r][v])
		}
	}
	ADDQ(arg("ldw"), wk)
	INCQ(ci)
	CMPQ(ci, arg("c"))
	JL(LabelRef(ch))
	ADDQ(arg("ldo"), op)
	DECQ(t)
	JNZ(LabelRef(tap))

	Label(epi)
	if is.bytes == 64 {
		ks := make([]OpmaskVirtual, nv) // the last vector under k1
		ks[nv-1] = k1
		directEpilogue(acc, w, a, zero, yt, opmasked(ks))
	} else {
		full := newLabel("full")
		TESTQ(U32(flagMask), arg("flags"))
		JZ(LabelRef(full))
		directEpilogue(acc, w, a, zero, yt, laneMasked(w))
		next := newLabel("next")
		JMP(LabelRef(next))
		Label(full)
		directEpilogue(acc, w, a, zero, yt, unmasked(is.bytes))
		Label(next)
	}

	// next tile: 6 pixels on
	ADDQ(U8(4*directRows), tbl)
	ldy6 := GP64()
	MOVQ(arg("ldy"), ldy6)
	IMUL3Q(U8(directRows), ldy6, ldy6)
	ADDQ(ldy6, yt)
	SUBQ(U8(directRows), arg("n"))
	JMP(LabelRef(tile))

	Label(done)
	VZEROUPPER()
	RET()
}

// lanes loads and stores the vectors of one tile row, each whole or under a
// mask: the direct and GEMM epilogues (and the GEMM's loads of b) share it.
type lanes struct {
	setup func()                             // once per epilogue (load masks)
	load  func(m Mem, v int, dst VecVirtual) // dst = m (masked lanes 0)
	store func(src VecVirtual, m Mem, v int)
	bytes int
}

func unmasked(bytes int) lanes {
	return lanes{
		setup: func() {},
		load:  func(m Mem, _ int, dst VecVirtual) { VMOVUPS(m, dst) },
		store: func(src VecVirtual, m Mem, _ int) { VMOVUPS(src, m) },
		bytes: bytes,
	}
}

// opmasked: vector v under opmask ks[v], whole where ks[v] is nil (ks may
// be shorter than the row).
func opmasked(ks []OpmaskVirtual) lanes {
	k := func(v int) OpmaskVirtual {
		if v < len(ks) {
			return ks[v]
		}
		return nil
	}
	return lanes{
		setup: func() {},
		load: func(m Mem, v int, dst VecVirtual) {
			if k(v) != nil {
				VMOVUPS_Z(m, k(v), dst)
			} else {
				VMOVUPS(m, dst)
			}
		},
		store: func(src VecVirtual, m Mem, v int) {
			if k(v) != nil {
				VMOVUPS(src, k(v), m)
			} else {
				VMOVUPS(src, m)
			}
		},
		bytes: 64,
	}
}

// laneMasked: vector v under the AVX2 lane mask masks[v], loaded from the
// mask argument (16 or 8 int32s) by setup into registers free there.
func laneMasked(masks []VecVirtual) lanes {
	return lanes{
		setup: func() {
			mp := Load(Param("mask"), GP64())
			for v := range masks {
				VMOVUPS(Mem{Base: mp, Disp: 32 * v}, masks[v])
			}
		},
		load:  func(m Mem, v int, dst VecVirtual) { VMASKMOVPS(m, masks[v], dst) },
		store: func(src VecVirtual, m Mem, v int) { VMASKMOVPS(src, masks[v], m) },
		bytes: 32,
	}
}

// vecGrid allocates rows × nv vector registers (a tile's sums).
func vecGrid(is isa, rows, nv int) [][]VecVirtual {
	g := make([][]VecVirtual, rows)
	for r := range g {
		g[r] = vecs(is, nv)
	}
	return g
}

func vecs(is isa, n int) []VecVirtual {
	v := make([]VecVirtual, n)
	for i := range v {
		v[i] = is.vec()
	}
	return v
}

// directEpilogue finishes a tile: + bias, + old y, ReLU per flags, then
// stores the rows that exist (n > r). w and a are free here; w may hold
// the masks of l.
func directEpilogue(acc [][]VecVirtual, w []VecVirtual, a, zero VecVirtual, yt Register, l lanes) {
	nv := len(w)
	l.setup()
	ifFlag(arg("flags"), flagBias, func() {
		bias := Load(Param("bias"), GP64())
		for v := 0; v < nv; v++ {
			l.load(Mem{Base: bias, Disp: l.bytes * v}, v, a)
			for r := range acc {
				VADDPS(a, acc[r][v], acc[r][v])
			}
		}
	})
	yr := GP64()
	MOVQ(yt, yr)
	end := newLabel("stored")
	for r := range acc {
		if r > 0 {
			CMPQ(arg("n"), U8(r))
			JLE(LabelRef(end))
		}
		ifFlag(arg("flags"), flagAcc, func() {
			for v := 0; v < nv; v++ {
				l.load(Mem{Base: yr, Disp: l.bytes * v}, v, a)
				VADDPS(a, acc[r][v], acc[r][v])
			}
		})
		ifFlag(arg("flags"), flagRelu, func() {
			for v := 0; v < nv; v++ {
				relu(acc[r][v], zero)
			}
		})
		for v := 0; v < nv; v++ {
			l.store(acc[r][v], Mem{Base: yr, Disp: l.bytes * v}, v)
		}
		if r < len(acc)-1 {
			ADDQ(arg("ldy"), yr)
		}
	}
	Label(end)
}
