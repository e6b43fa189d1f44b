package kernels

import (
	"fmt"
	"math"
)

// Sigmoid is σ(x) = 1/(1+e^−x) of a float32, in float32: the one definition
// every engine uses for float32 values (the runtime's Sigmoid op and chain,
// the cached sampler, the gate, training), so their results agree bit for
// bit. Within 3 ulp of the exact value (TestSigmoidTanhAccuracy: 2.14 at
// worst); e^−|x|
// by Cody–Waite range reduction and a degree-5 polynomial (expNeg), so a
// gate costs a few nanoseconds, not two float64 libm calls.
func Sigmoid(x float32) float32 {
	switch {
	case x != x:
		return x
	case x >= 0:
		return 1 / (1 + expNeg(-x))
	}
	e := expNeg(x)
	return e / (1 + e)
}

// Sigmoid64 is σ(x) in float64, without overflow for large |x| (the
// float64 paths: the runtime's float64 tensors, gradient checks).
func Sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Tanh is tanh(x) of a float32, in float32 (see Sigmoid): an odd
// polynomial below 0.625 in magnitude (no cancellation near 0), else
// (1 − e)/(1 + e) with e = e^−2|x|. Within 3 ulp (1.5 at worst).
func Tanh(x float32) float32 {
	ax := x
	if ax < 0 {
		ax = -ax
	}
	var t float32
	switch {
	case x != x:
		return x
	case ax < 0.625:
		z := x * x
		return ((((-5.70498872745e-3*z+2.06390887954e-2)*z-5.37397155531e-2)*z+1.33314422036e-1)*z-3.33332819422e-1)*z*x + x
	default:
		e := expNeg(-2 * ax)
		t = (1 - e) / (1 + e)
	}
	if x < 0 {
		return -t
	}
	return t
}

// expNeg returns e^x for x <= 0 in float32 (0 below −86, where e^x is
// under float32's normal range): x = n·ln 2 + r with |r| <= ln2/2 (ln 2 in
// two parts, Cody–Waite), e^r by Cephes's degree-5 polynomial, times 2^n
// by adding n to the exponent bits.
func expNeg(x float32) float32 {
	if x < -86 {
		return 0
	}
	const (
		log2e = 1.44269504088896341
		ln2hi = 0.693359375
		ln2lo = -2.12194440e-4
	)
	n := int32(x*log2e - 0.5) // round to nearest for x <= 0 (truncation toward 0)
	fn := float32(n)
	r := x - fn*ln2hi
	r -= fn * ln2lo
	z := r * r
	y := (((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r+5.0000001201e-1)*z + r + 1
	return math.Float32frombits(math.Float32bits(y) + uint32(n)<<23)
}

// Gate sets y = tanh(a)·σ(b) elementwise: the gated activation of a Gated
// PixelCNN, bit for bit the graph's Tanh, Sigmoid and Mul in float32 (Tanh,
// Sigmoid). y may be a or b.
func Gate(y, a, b []float32) {
	if len(a) != len(y) || len(b) != len(y) {
		panic(fmt.Sprintf("kernels.Gate: y, a, b have %d, %d, %d elements", len(y), len(a), len(b)))
	}
	if simd() && len(y) >= simdMin {
		gateSIMD(y, a, b) // the same operations, 8 lanes at a time
		return
	}
	for i := range y {
		y[i] = Tanh(a[i]) * Sigmoid(b[i])
	}
}

// GateGrad sets the gradients of y = tanh(a)·σ(b) given dy:
//
//	da = dy·σ(b)·(1 − tanh²(a)),  db = dy·tanh(a)·σ(b)·(1 − σ(b))
//
// da or db may be nil (not wanted).
func GateGrad(da, db, dy, a, b []float32) {
	if len(a) != len(dy) || len(b) != len(dy) || da != nil && len(da) != len(dy) || db != nil && len(db) != len(dy) {
		panic(fmt.Sprintf("kernels.GateGrad: da, db, dy, a, b have %d, %d, %d, %d, %d elements", len(da), len(db), len(dy), len(a), len(b)))
	}
	if simd() && len(dy) >= simdMin {
		switch {
		case da != nil && db != nil:
			gateGradABSIMD(da, db, dy, a, b) // tanh and σ once for both
		case da != nil:
			gateGradASIMD(da, dy, a, b)
		case db != nil:
			gateGradBSIMD(db, dy, a, b)
		}
		return
	}
	for i, g := range dy {
		t, s := Tanh(a[i]), Sigmoid(b[i])
		if da != nil {
			da[i] = g * s * (1 - t*t)
		}
		if db != nil {
			db[i] = g * t * s * (1 - s)
		}
	}
}
