package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// pointwise emits the AVX2 elementwise loops of package kernels
// (pointwise_amd64.go). Each takes any n ≥ 0: 32 elements per iteration,
// then 8, then one at a time with the scalar forms of the same
// instructions, so every element gets the same operation. The "rows"
// kernels repeat over rows of n elements with byte strides.
func pointwise() {
	rowsKernel("reluRows", "func(dst *float32, ldd int, src *float32, lds int, rows, n int)",
		[]string{"dst", "src"}, func(p []Register, disp int, w width) {
			v := w.load(Mem{Base: p[1], Disp: disp})
			relu(v, w.zero())
			w.store(v, Mem{Base: p[0], Disp: disp})
		})
	rowsKernel("copyRows", "func(dst *float32, ldd int, src *float32, lds int, rows, n int)",
		[]string{"dst", "src"}, func(p []Register, disp int, w width) {
			w.store(w.load(Mem{Base: p[1], Disp: disp}), Mem{Base: p[0], Disp: disp})
		})
	rowsKernel("addRows", "func(dst *float32, ldd int, src *float32, lds int, rows, n int)",
		[]string{"dst", "src"}, func(p []Register, disp int, w width) {
			v := w.load(Mem{Base: p[0], Disp: disp})
			s := w.load(Mem{Base: p[1], Disp: disp})
			w.add(s, v)
			w.store(v, Mem{Base: p[0], Disp: disp})
		})
	flatKernel("add3", "func(y, a, b *float32, n int)", []string{"y", "a", "b"},
		func(p []Register, disp int, w width) {
			v := w.load(Mem{Base: p[1], Disp: disp})
			s := w.load(Mem{Base: p[2], Disp: disp})
			w.add(s, v)
			w.store(v, Mem{Base: p[0], Disp: disp})
		})
	flatKernel("addRelu3", "func(y, r, a, b *float32, n int)", []string{"y", "r", "a", "b"},
		func(p []Register, disp int, w width) {
			v := w.load(Mem{Base: p[2], Disp: disp})
			s := w.load(Mem{Base: p[3], Disp: disp})
			w.add(s, v)
			w.store(v, Mem{Base: p[0], Disp: disp})
			relu(v, w.zero())
			w.store(v, Mem{Base: p[1], Disp: disp})
		})
	flatKernel("reluGrad3", "func(dx, dy, x *float32, n int)", []string{"dx", "dy", "x"},
		func(p []Register, disp int, w width) {
			x := w.load(Mem{Base: p[2], Disp: disp})
			g := w.load(Mem{Base: p[1], Disp: disp})
			m := w.reg()
			w.cmpGT(w.zero(), x, m) // x > 0, false for NaN
			VANDPS(g, m, m)
			w.store(m, Mem{Base: p[0], Disp: disp})
		})
	flatKernel("reluGradAdd4", "func(dx, dy, x, r *float32, n int)", []string{"dx", "dy", "x", "r"},
		func(p []Register, disp int, w width) {
			x := w.load(Mem{Base: p[2], Disp: disp})
			g := w.load(Mem{Base: p[1], Disp: disp})
			m := w.reg()
			w.cmpGT(w.zero(), x, m) // x > 0, false for NaN
			VANDPS(g, m, m)
			w.add(w.load(Mem{Base: p[3], Disp: disp}), m)
			w.store(m, Mem{Base: p[0], Disp: disp})
		})
	biasRows()
}

// width is the vector width one step of a loop works at: a YMM register
// (8 floats) or the low float of an XMM register.
type width struct {
	scalar bool
}

func (w width) reg() VecVirtual {
	if w.scalar {
		return XMM()
	}
	return YMM()
}

func (w width) load(m Mem) VecVirtual {
	v := w.reg()
	if w.scalar {
		VMOVSS(m, v)
	} else {
		VMOVUPS(m, v)
	}
	return v
}

func (w width) store(v VecVirtual, m Mem) {
	if w.scalar {
		VMOVSS(v, m)
	} else {
		VMOVUPS(v, m)
	}
}

// add sets v += s.
func (w width) add(s Register, v VecVirtual) {
	if w.scalar {
		VADDSS(s, v, v)
	} else {
		VADDPS(s, v, v)
	}
}

// view is v (a YMM register) at this width.
func (w width) view(v VecVirtual) Register {
	if w.scalar {
		return v.AsX()
	}
	return v
}

func (w width) zero() VecVirtual {
	z := w.reg()
	VXORPS(z, z, z)
	return z
}

// cmpGT sets m to all ones where x > zero (ordered: NaN gives 0).
func (w width) cmpGT(zero, x, m VecVirtual) {
	if w.scalar {
		VCMPSS(U8(gtOQ), zero, x, m)
	} else {
		VCMPPS(U8(gtOQ), zero, x, m)
	}
}

// elemOp emits one step on the element(s) at disp bytes past each pointer.
type elemOp func(p []Register, disp int, w width)

// streamLoop runs op over n elements from pointers p (advanced as it goes).
func streamLoop(n Register, p []Register, op elemOp) { streamLoopBy(n, p, op, true) }

// streamLoopBy is streamLoop, with the 32-element (4x unrolled) steps only
// when by32 (loops bound by loads; arithmetic-bound ones go 8 at a time).
func streamLoopBy(n Register, p []Register, op elemOp, by32 bool) {
	l32, l8, l1, end := newLabel("by32"), newLabel("by8"), newLabel("by1"), newLabel("end")
	step := func(bytes int) {
		for _, r := range p {
			ADDQ(U32(bytes), r)
		}
	}
	if by32 {
		Label(l32)
		CMPQ(n, U8(32))
		JL(LabelRef(l8))
		for u := 0; u < 4; u++ {
			op(p, 32*u, width{})
		}
		step(128)
		SUBQ(U8(32), n)
		JMP(LabelRef(l32))
	}
	Label(l8)
	CMPQ(n, U8(8))
	JL(LabelRef(l1))
	op(p, 0, width{})
	step(32)
	SUBQ(U8(8), n)
	JMP(LabelRef(l8))
	Label(l1)
	TESTQ(n, n)
	JZ(LabelRef(end))
	op(p, 0, width{scalar: true})
	step(4)
	DECQ(n)
	JMP(LabelRef(l1))
	Label(end)
}

// flatKernel emits a loop over n elements of the slices named in ptrs.
func flatKernel(name, sig string, ptrs []string, op elemOp) {
	flatKernelBy(name, sig, "pointwise.go", ptrs, op, true)
}

// flatKernelBy is flatKernel documented as from file, unrolled by 32 or not
// (streamLoopBy).
func flatKernelBy(name, sig, file string, ptrs []string, op elemOp, by32 bool) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name + ": elementwise over n floats (see " + file + " of the generator). AVX.")
	var p []Register
	for _, s := range ptrs {
		p = append(p, Load(Param(s), GP64()))
	}
	n := Load(Param("n"), GP64())
	streamLoopBy(n, p, op, by32)
	VZEROUPPER()
	RET()
}

// rowsKernel emits a loop over rows of n elements: pointer ptrs[i] advances
// by the argument after it in sig (ldd, lds; bytes) from row to row.
func rowsKernel(name, sig string, ptrs []string, op elemOp) {
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name + ": elementwise over rows × n floats, row strides in bytes (see pointwise.go of the generator). AVX.")
	strides := map[string]string{"dst": "ldd", "src": "lds"}
	var base, p []Register
	for _, s := range ptrs {
		base = append(base, Load(Param(s), GP64()))
	}
	rows := Load(Param("rows"), GP64())
	loop, done := newLabel("row"), newLabel("done")
	Label(loop)
	TESTQ(rows, rows)
	JZ(LabelRef(done))
	p = p[:0]
	for _, b := range base {
		r := GP64()
		MOVQ(b, r)
		p = append(p, r)
	}
	n := Load(Param("n"), GP64())
	streamLoop(n, p, op)
	for i, s := range ptrs {
		ADDQ(arg(strides[s]), base[i])
	}
	DECQ(rows)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}

// biasRows emits biasReluRows: for rows r of n elements (ld bytes apart),
// y = y + b[r] (flagBias) then max(0, y) (flagRelu): the conv epilogue of
// the NCHW path when the GEMM is not ours (OpenBLAS, gonum).
func biasRows() {
	TEXT("biasReluRows", NOSPLIT, "func(y *float32, ld, rows, n int, b *float32, flags int)")
	Pragma("noescape")
	Doc("biasReluRows: y[r,:] = relu?(y[r,:] + b[r]) over rows × n floats (see pointwise.go of the generator). AVX.")
	y := Load(Param("y"), GP64())
	bp := Load(Param("b"), GP64())
	rows := Load(Param("rows"), GP64())
	bias := YMM()
	loop, done := newLabel("row"), newLabel("done")
	Label(loop)
	TESTQ(rows, rows)
	JZ(LabelRef(done))
	zeroVecs(bias)
	ifFlag(arg("flags"), flagBias, func() { VBROADCASTSS(Mem{Base: bp}, bias) })
	p := GP64()
	MOVQ(y, p)
	n := Load(Param("n"), GP64())
	reluOn := newLabel("relu")
	TESTQ(U32(flagRelu), arg("flags"))
	JNZ(LabelRef(reluOn))
	streamLoop(n, []Register{p}, func(p []Register, disp int, w width) {
		v := w.load(Mem{Base: p[0], Disp: disp})
		w.add(w.view(bias), v)
		w.store(v, Mem{Base: p[0], Disp: disp})
	})
	next := newLabel("next")
	JMP(LabelRef(next))
	Label(reluOn)
	streamLoop(n, []Register{p}, func(p []Register, disp int, w width) {
		v := w.load(Mem{Base: p[0], Disp: disp})
		w.add(w.view(bias), v)
		relu(v, w.zero())
		w.store(v, Mem{Base: p[0], Disp: disp})
	})
	Label(next)
	ADDQ(arg("ld"), y)
	ADDQ(U8(4), bp)
	DECQ(rows)
	JMP(LabelRef(loop))
	Label(done)
	VZEROUPPER()
	RET()
}
