package kernels

import (
	"fmt"
	"math"
)

// Sigmoid is σ(x) = 1/(1+e^−x) of a float32, computed in float64 and
// rounded once: the one definition every engine uses (the runtime's Sigmoid
// op and chain, the cached sampler, the gate), so their results agree bit
// for bit.
func Sigmoid(x float32) float32 { return float32(Sigmoid64(float64(x))) }

// Sigmoid64 is σ(x) in float64, without overflow for large |x|.
func Sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// Tanh is tanh(x) of a float32, computed in float64 and rounded once.
func Tanh(x float32) float32 { return float32(math.Tanh(float64(x))) }

// Gate sets y = tanh(a)·σ(b) elementwise: the gated activation of a Gated
// PixelCNN, bit for bit the graph's Tanh, Sigmoid and Mul (each rounded to
// float32). y may be a or b.
func Gate(y, a, b []float32) {
	if len(a) != len(y) || len(b) != len(y) {
		panic(fmt.Sprintf("kernels.Gate: y, a, b have %d, %d, %d elements", len(y), len(a), len(b)))
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
