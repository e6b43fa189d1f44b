package sample

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// The sampler tests compare engines that all draw through Categorical, so a
// bug in it would pass them all. These tests check the draws against figures
// computed here, independently: hand-computed CDF cases with exact
// boundaries, and chi-square tests of many draws against softmax(logits/T).

// TestCategoricalCDF: Categorical returns the smallest k with u < cdf(k), so a
// u exactly on a boundary belongs to the level above it; near is set within
// BoundaryEps of an inner boundary. Levels with equal logits have boundaries
// at exact binary fractions, so those cases are exact.
func TestCategoricalCDF(t *testing.T) {
	t.Parallel()
	ln3 := float32(math.Log(3))
	ninf := float32(math.Inf(-1))
	eq4 := []float32{0.7, 0.7, 0.7, 0.7} // cdf 1/4, 1/2, 3/4 (exact)
	cases := []struct {
		name   string
		logits []float32
		t      float64
		u      float64
		level  int
		near   bool
	}{
		{"u=0 draws the first level", eq4, 1, 0, 0, false},
		{"below the first boundary", eq4, 1, 0.2499, 0, false},
		{"within eps below a boundary", eq4, 1, 0.25 - 5e-6, 0, true},
		{"exactly on cdf(0) draws level 1", eq4, 1, 0.25, 1, true},
		{"within eps above a boundary", eq4, 1, 0.25 + 5e-6, 1, true},
		{"just beyond eps", eq4, 1, 0.25 + 2e-5, 1, false},
		{"exactly on cdf(1)", eq4, 1, 0.5, 2, true},
		{"exactly on cdf(2)", eq4, 1, 0.75, 3, true},
		{"below cdf(2)", eq4, 1, 0.7499, 2, false},
		{"u near 1 draws the last level", eq4, 1, math.Nextafter(1, 0), 3, false},
		{"temperature has no effect on equal logits", eq4, 0.3, 0.5, 2, true},
		{"p = (1/4, 3/4): below", []float32{0, ln3}, 1, 0.2499, 0, false},
		{"p = (1/4, 3/4): above", []float32{0, ln3}, 1, 0.2501, 1, false},
		{"T=2 halves the logits: (0, 2ln3)/2 is (1/4, 3/4)", []float32{0, 2 * ln3}, 2, 0.2499, 0, false},
		{"T=2, above 1/4", []float32{0, 2 * ln3}, 2, 0.2501, 1, false},
		{"T=1 on (0, 2ln3) is (1/10, 9/10): 0.2 draws level 1", []float32{0, 2 * ln3}, 1, 0.2, 1, false},
		{"T=1 on (0, 2ln3): below 1/10", []float32{0, 2 * ln3}, 1, 0.0999, 0, false},
		{"T=1/2 doubles the logits: (0, ln3/2)·2 is (1/4, 3/4)", []float32{0, ln3 / 2}, 0.5, 0.2499, 0, false},
		{"T=1/2, above 1/4", []float32{0, ln3 / 2}, 0.5, 0.2501, 1, false},
		{"a -Inf logit is never drawn, even at u=0", []float32{ninf, 0, 0}, 1, 0, 1, true},
		{"large logits do not overflow", []float32{1000, 1000}, 1, 0.4999, 0, false},
		{"large logits: on the boundary", []float32{1000, 1000}, 1, 0.5, 1, true},
		{"small logits do not underflow", []float32{-1000, -1000}, 1, 0.5, 1, true},
		{"one dominant level", []float32{0, 30, 0}, 1, 0.999, 1, false},
	}
	for _, c := range cases {
		for _, stride := range []int{1, 3} {
			// Between the levels (stride 3) sit NaNs: reading one poisons
			// the draw.
			l := make([]float32, (len(c.logits)-1)*stride+1)
			for i := range l {
				l[i] = float32(math.NaN())
			}
			for k, v := range c.logits {
				l[k*stride] = v
			}
			level, near := Categorical(l, stride, len(c.logits), c.t, c.u)
			if level != c.level || near != c.near {
				t.Errorf("%s (stride %d): Categorical(%v, T=%g, u=%.17g) = level %d, near %v; want %d, %v",
					c.name, stride, c.logits, c.t, c.u, level, near, c.level, c.near)
			}
		}
	}
}

// TestCategoricalManyLevels covers q above 256 (another buffer): 300 equal
// logits put boundary k at (k+1)/300.
func TestCategoricalManyLevels(t *testing.T) {
	t.Parallel()
	l := make([]float32, 300)
	for _, c := range []struct {
		u     float64
		level int
	}{{0, 0}, {0.5 - 1.0/600, 149}, {0.5 + 1.0/600, 150}, {1 - 1.0/600, 299}} {
		if got, _ := Categorical(l, 1, 300, 1, c.u); got != c.level {
			t.Errorf("q=300, u=%g: level %d, want %d", c.u, got, c.level)
		}
	}
}

// softmaxT is softmax(logits/T) in float64, written independently of
// Categorical (no max shift: the test logits are small).
func softmaxT(logits []float32, temp float64) []float64 {
	p := make([]float64, len(logits))
	s := 0.0
	for k, v := range logits {
		p[k] = math.Exp(float64(v) / temp)
		s += p[k]
	}
	for k := range p {
		p[k] /= s
	}
	return p
}

// chiSquareP is the p-value of Pearson's chi-square test of counts against
// probabilities p; bins expecting fewer than 5 draws are pooled.
func chiSquareP(counts []int, p []float64) (pValue, stat float64, df int) {
	n := 0
	for _, c := range counts {
		n += c
	}
	var poolObs, poolExp float64
	bins := 0
	for k := range p {
		e, o := p[k]*float64(n), float64(counts[k])
		if e < 5 {
			poolObs, poolExp = poolObs+o, poolExp+e
			continue
		}
		stat += (o - e) * (o - e) / e
		bins++
	}
	if poolExp > 0 {
		stat += (poolObs - poolExp) * (poolObs - poolExp) / max(poolExp, 1e-300)
		bins++
	}
	df = bins - 1
	return distuv.ChiSquared{K: float64(df)}.Survival(stat), stat, df
}

// drawCounts draws n levels with draw, on uniforms from a fixed seed.
func drawCounts(q, n int, seed uint64, draw func(u float64) int) []int {
	r := rand.New(rand.NewPCG(seed, 7))
	counts := make([]int, q)
	for range n {
		counts[draw(r.Float64())]++
	}
	return counts
}

// Thresholds of the chi-square tests. The draws are deterministic (fixed
// seeds), so a pass is always a pass; pAccept = 1e-4 would reject a correct
// sampler on one seed in 10 000, and every planted bug below lands under
// pReject = 1e-9 with a wide margin.
const (
	pAccept = 1e-4
	pReject = 1e-9
	nDraws  = 20000
)

// drawCases are the chi-square cases: q and temperature.
var drawCases = []struct {
	q    int
	temp float64
}{{4, 1}, {4, 0.5}, {4, 2}, {16, 1}, {16, 0.7}, {16, 1.6}}

// caseLogits returns q logits in [−2, 2) from a seed.
func caseLogits(q int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	l := make([]float32, q)
	for k := range l {
		l[k] = float32(4*r.Float64() - 2)
	}
	return l
}

// TestCategoricalChiSquare draws 20 000 levels per case and compares their
// counts with softmax(logits/T).
func TestCategoricalChiSquare(t *testing.T) {
	t.Parallel()
	for i, c := range drawCases {
		logits := caseLogits(c.q, uint64(i))
		p := softmaxT(logits, c.temp)
		counts := drawCounts(c.q, nDraws, uint64(100+i), func(u float64) int {
			l, _ := Categorical(logits, 1, c.q, c.temp, u)
			return l
		})
		pv, stat, df := chiSquareP(counts, p)
		t.Logf("q=%d T=%g: chi2 %.1f, df %d, p %.3g", c.q, c.temp, stat, df, pv)
		if pv < pAccept {
			t.Errorf("q=%d T=%g: draws do not follow softmax(logits/T): chi2 %.1f (df %d), p %.3g < %g; counts %v, p %v",
				c.q, c.temp, stat, df, pv, pAccept, counts, p)
		}
	}
}

// TestChiSquareCatchesPlantedBugs shows the test above can fail: samplers
// with a planted bug, each a plausible mistake, are rejected at p < 1e-9.
func TestChiSquareCatchesPlantedBugs(t *testing.T) {
	t.Parallel()
	bugs := []struct {
		name string
		skip func(temp float64) bool // cases where the bug changes nothing
		draw func(logits []float32, q int, temp, u float64) int
	}{
		{"temperature ignored", func(temp float64) bool { return temp == 1 },
			func(l []float32, q int, temp, u float64) int { c, _ := Categorical(l, 1, q, 1, u); return c }},
		{"temperature multiplies", func(temp float64) bool { return temp == 1 },
			func(l []float32, q int, temp, u float64) int { c, _ := Categorical(l, 1, q, 1/temp, u); return c }},
		{"levels reversed", nil,
			func(l []float32, q int, temp, u float64) int { c, _ := Categorical(l, 1, q, temp, u); return q - 1 - c }},
		{"off by one level", nil,
			func(l []float32, q int, temp, u float64) int {
				c, _ := Categorical(l, 1, q, temp, u)
				return (c + 1) % q
			}},
		{"u compared with each probability instead of the running sum", nil,
			func(l []float32, q int, temp, u float64) int {
				p := softmaxT(l, temp)
				for k := range q - 1 {
					if u < p[k] {
						return k
					}
				}
				return q - 1
			}},
	}
	for _, b := range bugs {
		for i, c := range drawCases {
			if b.skip != nil && b.skip(c.temp) {
				continue
			}
			t.Run(fmt.Sprintf("%s/q=%d/T=%g", b.name, c.q, c.temp), func(t *testing.T) {
				logits := caseLogits(c.q, uint64(i))
				counts := drawCounts(c.q, nDraws, uint64(100+i), func(u float64) int { return b.draw(logits, c.q, c.temp, u) })
				pv, stat, df := chiSquareP(counts, softmaxT(logits, c.temp))
				t.Logf("chi2 %.1f (df %d), p %.3g", stat, df, pv)
				if pv > pReject {
					t.Errorf("planted bug passes: chi2 %.1f (df %d), p %.3g > %g", stat, df, pv, pReject)
				}
			})
		}
	}
}

// TestSampleDrawsMatchSoftmax checks the draws end to end, through Sample's
// uniforms, temperature option and both methods: a PixelCNN whose weights
// are all zero and whose logits bias is b outputs logits b at every pixel
// whatever the image, so every pixel of every image is an independent draw
// from softmax(b/T).
func TestSampleDrawsMatchSoftmax(t *testing.T) {
	t.Parallel()
	bias := []float32{0, 0.5, 1, -1}
	g := mustPixelCNN(t, sized(len(bias), 8, 8, 1))
	for _, v := range g.Inits {
		clear(v.Const.F32)
		if v.Name == "head/logits/B" {
			copy(v.Const.F32, bias)
		}
	}
	for _, m := range []Method{Cached, Naive} {
		for _, temp := range []float64{0.5, 1, 2} {
			res, err := Sample(context.Background(), g, Options{N: 64, Seed: 5, Temperature: temp, Method: m})
			if err != nil {
				t.Fatal(err)
			}
			counts := make([]int, len(bias))
			for _, l := range res.Levels {
				counts[l]++
			}
			pv, stat, df := chiSquareP(counts, softmaxT(bias, temp))
			t.Logf("%v T=%g: %d draws, counts %v, chi2 %.1f (df %d), p %.3g", m, temp, len(res.Levels), counts, stat, df, pv)
			if pv < pAccept {
				t.Errorf("%v T=%g: draws do not follow softmax(b/T) = %.3f: counts %v, p %.3g", m, temp, softmaxT(bias, temp), counts, pv)
			}
		}
	}
}
