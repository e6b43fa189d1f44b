package main

import (
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// gate emits the AVX2 loops of the gated activation (gate_amd64.go of
// package kernels): y = tanh(a)·σ(b), and its two gradients. They perform,
// lane by lane, exactly the float32 operations of the Go functions Tanh,
// Sigmoid and expNeg in gate.go, in the same order (no FMA, the same
// constants, branches computed both ways and blended), so a lane's result
// is bit for bit the Go function's: the engines that call the Go scalar
// functions (the runtime's Tanh and Sigmoid ops, an unfused gate) and those
// that call the loop (a fused gate) agree. The tail uses the same packed
// instructions on an XMM register loaded with one float.
func gate() {
	gateKernel("gate3", "func(y, a, b *float32, n int)", []string{"y", "a", "b"},
		func(p []Register, disp int, w width) {
			t := w.tanh(w.load(Mem{Base: p[1], Disp: disp}))
			s := w.sigmoid(w.load(Mem{Base: p[2], Disp: disp}))
			w.store(w.mul(t, s), Mem{Base: p[0], Disp: disp})
		})
	// da = dy·σ(b)·(1 − tanh²(a))
	gateKernel("gateGradA", "func(da, dy, a, b *float32, n int)", []string{"da", "dy", "a", "b"},
		func(p []Register, disp int, w width) {
			g := w.load(Mem{Base: p[1], Disp: disp})
			t := w.tanh(w.load(Mem{Base: p[2], Disp: disp}))
			s := w.sigmoid(w.load(Mem{Base: p[3], Disp: disp}))
			w.store(w.mul(w.mul(g, s), w.sub(w.c(1), w.mul(t, t))), Mem{Base: p[0], Disp: disp})
		})
	// db = dy·tanh(a)·σ(b)·(1 − σ(b))
	gateKernel("gateGradB", "func(db, dy, a, b *float32, n int)", []string{"db", "dy", "a", "b"},
		func(p []Register, disp int, w width) {
			g := w.load(Mem{Base: p[1], Disp: disp})
			t := w.tanh(w.load(Mem{Base: p[2], Disp: disp}))
			s := w.sigmoid(w.load(Mem{Base: p[3], Disp: disp}))
			w.store(w.mul(w.mul(w.mul(g, t), s), w.sub(w.c(1), s)), Mem{Base: p[0], Disp: disp})
		})
	// both at once (the gate-halves gradient wants both): tanh(a) and σ(b)
	// computed once, each output by the formula of its loop above
	gateKernel("gateGradAB", "func(da, db, dy, a, b *float32, n int)", []string{"da", "db", "dy", "a", "b"},
		func(p []Register, disp int, w width) {
			g := w.load(Mem{Base: p[2], Disp: disp})
			t := w.tanh(w.load(Mem{Base: p[3], Disp: disp}))
			s := w.sigmoid(w.load(Mem{Base: p[4], Disp: disp}))
			w.store(w.mul(w.mul(g, s), w.sub(w.c(1), w.mul(t, t))), Mem{Base: p[0], Disp: disp})
			w.store(w.mul(w.mul(w.mul(g, t), s), w.sub(w.c(1), s)), Mem{Base: p[1], Disp: disp})
		})
}

// gateKernel is flatKernel without the 4x unrolled steps: these loops are
// bound by arithmetic, not by loads; 8 floats at a time, then one.
func gateKernel(name, sig string, ptrs []string, op elemOp) {
	flatKernelBy(name, sig, "gate.go", ptrs, op, false)
}

// consts are the float32 constants broadcast from memory, by value.
var consts = map[uint32]Mem{}

// c returns a register holding f in every lane.
func (w width) c(f float32) VecVirtual { return w.bits(math.Float32bits(f)) }

// bits returns a register holding the 32-bit pattern u in every lane.
func (w width) bits(u uint32) VecVirtual {
	m, ok := consts[u]
	if !ok {
		m = ConstData(fmt.Sprintf("gatec%08x", u), U32(u))
		consts[u] = m
	}
	v := w.reg()
	VBROADCASTSS(m, v)
	return v
}

func (w width) mul(a, b VecVirtual) VecVirtual  { r := w.reg(); VMULPS(b, a, r); return r }
func (w width) plus(a, b VecVirtual) VecVirtual { r := w.reg(); VADDPS(b, a, r); return r }
func (w width) sub(a, b VecVirtual) VecVirtual  { r := w.reg(); VSUBPS(b, a, r); return r }
func (w width) div(a, b VecVirtual) VecVirtual  { r := w.reg(); VDIVPS(b, a, r); return r }
func (w width) and(a, b VecVirtual) VecVirtual  { r := w.reg(); VANDPS(b, a, r); return r }
func (w width) or(a, b VecVirtual) VecVirtual   { r := w.reg(); VORPS(b, a, r); return r }
func (w width) xor(a, b VecVirtual) VecVirtual  { r := w.reg(); VXORPS(b, a, r); return r }

// Comparison predicates of VCMPPS.
const (
	cmpUnordQ = 0x03
	cmpLtOQ   = 0x11
	cmpGeOQ   = 0x1d
)

// cmp returns all ones in the lanes where a (pred) b.
func (w width) cmp(pred uint8, a, b VecVirtual) VecVirtual {
	r := w.reg()
	VCMPPS(U8(pred), b, a, r)
	return r
}

// blend returns on where mask is set, off elsewhere.
func (w width) blend(mask, on, off VecVirtual) VecVirtual {
	r := w.reg()
	VBLENDVPS(mask, on, off, r)
	return r
}

// expNeg is gate.go's expNeg: e^x for x <= 0, 0 below −86.
func (w width) expNeg(x VecVirtual) VecVirtual {
	under := w.cmp(cmpLtOQ, x, w.c(-86))
	t := w.sub(w.mul(x, w.c(1.44269504088896341)), w.c(0.5))
	n := w.reg()
	VCVTTPS2DQ(t, n)
	fn := w.reg()
	VCVTDQ2PS(n, fn)
	r := w.sub(x, w.mul(fn, w.c(0.693359375)))
	r = w.sub(r, w.mul(fn, w.c(-2.12194440e-4)))
	z := w.mul(r, r)
	y := w.mul(w.c(1.9875691500e-4), r)
	for _, k := range []float32{1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1} {
		y = w.mul(w.plus(y, w.c(k)), r)
	}
	y = w.plus(y, w.c(5.0000001201e-1))
	y = w.plus(w.plus(w.mul(y, z), r), w.c(1))
	VPSLLD(U8(23), n, n)
	VPADDD(n, y, y)
	out := w.reg()
	VANDNPS(y, under, out) // 0 where x < −86
	return out
}

// tanh is gate.go's Tanh.
func (w width) tanh(x VecVirtual) VecVirtual {
	ax := w.and(x, w.bits(0x7fffffff))
	small := w.cmp(cmpLtOQ, ax, w.c(0.625))
	z := w.mul(x, x)
	p := w.mul(w.c(-5.70498872745e-3), z)
	p = w.mul(w.plus(p, w.c(2.06390887954e-2)), z)
	p = w.mul(w.sub(p, w.c(5.37397155531e-2)), z)
	p = w.mul(w.plus(p, w.c(1.33314422036e-1)), z)
	p = w.mul(w.sub(p, w.c(3.33332819422e-1)), z)
	p = w.plus(w.mul(p, x), x)
	e := w.expNeg(w.mul(w.c(-2), ax))
	t := w.div(w.sub(w.c(1), e), w.plus(w.c(1), e))
	t = w.xor(t, w.and(x, w.bits(0x80000000))) // −t where x < 0
	r := w.blend(small, p, t)
	return w.blend(w.cmp(cmpUnordQ, x, x), x, r)
}

// sigmoid is gate.go's Sigmoid.
func (w width) sigmoid(x VecVirtual) VecVirtual {
	nx := w.or(x, w.bits(0x80000000)) // −|x|
	e := w.expNeg(nx)
	d := w.plus(w.c(1), e)
	pos, neg := w.div(w.c(1), d), w.div(e, d)
	zero := w.zero()
	r := w.blend(w.cmp(cmpGeOQ, x, zero), pos, neg)
	return w.blend(w.cmp(cmpUnordQ, x, x), x, r)
}
