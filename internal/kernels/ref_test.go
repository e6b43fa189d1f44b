package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// refConv is the naive float64 convolution: y = reluOut(conv(reluIn(x), w⊙live) + b [+ y0]).
// It also returns, per output, S = Σ|x·w| + |b| (+|y0|), the scale of the
// forward error bound used by closeTo. x is (N,C,H,W), w is (O,C,KH,KW).
func refConv(p ConvParams, oh, ow int, x, w, b, y0 []float64, n int, f Fuse) (y, s []float64) {
	live := make([]bool, p.KH*p.KW)
	for _, t := range p.Taps {
		live[t] = true
	}
	y = make([]float64, n*p.Out*oh*ow)
	s = make([]float64, len(y))
	for i := 0; i < n; i++ {
		for o := 0; o < p.Out; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					var acc, abs float64
					for c := 0; c < p.In; c++ {
						for ky := 0; ky < p.KH; ky++ {
							for kx := 0; kx < p.KW; kx++ {
								iy := oy*p.Stride[0] - p.Pads[0] + ky*p.Dilation[0]
								ix := ox*p.Stride[1] - p.Pads[1] + kx*p.Dilation[1]
								if !live[ky*p.KW+kx] || iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								xv := x[((i*p.In+c)*p.H+iy)*p.W+ix]
								if f.ReluIn {
									xv = math.Max(xv, 0)
								}
								t := xv * w[((o*p.In+c)*p.KH+ky)*p.KW+kx]
								acc += t
								abs += math.Abs(t)
							}
						}
					}
					if b != nil {
						acc += b[o]
						abs += math.Abs(b[o])
					}
					k := ((i*p.Out+o)*oh+oy)*ow + ox
					if f.Accumulate {
						acc += y0[k]
						abs += math.Abs(y0[k])
					}
					if f.ReluOut {
						acc = math.Max(acc, 0)
					}
					y[k], s[k] = acc, abs
				}
			}
		}
	}
	return y, s
}

// closeTo checks got against the float64 reference want within the forward
// error bound of a float32 sum of k terms in any order and blocking (the
// order the blocked SGEMM, gonum or OpenBLAS choose): |got - want| ≤ γ·S, γ = (k+2)·2⁻²⁴
// (k products plus bias and accumulated input), S = Σ|terms| (Higham,
// Accuracy and Stability, §3.1). Inputs are exact float32s, so this bound is
// rigorous, not a guess; 1e-30 absorbs S = 0.
func closeTo(t *testing.T, name string, got []float32, want, s []float64, k int) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	gamma := float64(k+2) * math.Ldexp(1, -24)
	bad := 0
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= gamma*s[i]+1e-30) {
			if bad < 5 {
				t.Errorf("%s[%d] = %g, want %g (|diff| %.3g > bound %.3g)", name, i, got[i], want[i], d, gamma*s[i])
			}
			bad++
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d values outside the bound", name, bad, len(got))
	}
}

// randSlice returns n distinct, asymmetric values in [-1, 1) (so layout bugs
// cannot cancel out), from a generator seeded by seed.
func randSlice(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(r.Float64()*2 - 1)
	}
	return s
}

// deadNaN returns a copy of w (O,C,KH,KW) with NaN at every dead tap: a
// kernel that reads a dead tap poisons its output.
func deadNaN(w []float32, kk int, taps []int) []float32 {
	live := make([]bool, kk)
	for _, t := range taps {
		live[t] = true
	}
	out := append([]float32(nil), w...)
	for i := range out {
		if !live[i%kk] {
			out[i] = float32(math.NaN())
		}
	}
	return out
}

// zeroDead sets w's dead taps to 0 in place.
func zeroDead(w []float32, kk int, taps []int) {
	live := make([]bool, kk)
	for _, t := range taps {
		live[t] = true
	}
	for i := range w {
		if !live[i%kk] {
			w[i] = 0
		}
	}
}

// f64 widens s (nil stays nil).
func f64(s []float32) []float64 {
	if s == nil {
		return nil
	}
	d := make([]float64, len(s))
	for i, v := range s {
		d[i] = float64(v)
	}
	return d
}
