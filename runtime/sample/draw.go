package sample

import (
	"math"
	"math/rand/v2"
)

// BoundaryEps is how close a uniform may come to a boundary of the
// cumulative distribution before the draw counts as near a boundary: two
// engines whose logits differ by float rounding may pick different levels
// there, and only there.
const BoundaryEps = 1e-5

// Uniforms returns the uniforms of image i: element p is the p-th value of
// rand.New(rand.NewPCG(seed, uint64(i))).Float64(), one per pixel in raster
// order. Every pixel consumes its draw, also a pixel kept by completion, so
// pixel p of image i always uses the same uniform whatever the engine, the
// method, the batch size or the number of kept rows.
func Uniforms(seed uint64, i, pixels int) []float64 {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	u := make([]float64, pixels)
	for p := range u {
		u[p] = r.Float64()
	}
	return u
}

// Categorical picks a level from softmax(logits/temperature) with the
// uniform u in [0,1): the smallest k with u < cdf(k), computed in float64
// (the last level if rounding leaves u above every cdf value). near reports
// whether u lies within BoundaryEps of one of the q−1 inner boundaries.
// stride is the distance between consecutive levels in logits.
func Categorical(logits []float32, stride, q int, temperature, u float64) (level int, near bool) {
	m := math.Inf(-1)
	for k := 0; k < q; k++ {
		m = max(m, float64(logits[k*stride]))
	}
	var e [256]float64
	var ex []float64
	if q <= len(e) {
		ex = e[:q]
	} else {
		ex = make([]float64, q)
	}
	s := 0.0
	for k := range ex {
		ex[k] = math.Exp((float64(logits[k*stride]) - m) / temperature)
		s += ex[k]
	}
	level = q - 1
	c := 0.0
	for k := 0; k < q-1; k++ {
		c += ex[k] / s
		if math.Abs(u-c) < BoundaryEps {
			near = true
		}
		if u < c && level == q-1 {
			level = k
		}
	}
	return level, near
}
