package kernels

import (
	"math"
	"testing"
)

// same fails unless got == want elementwise (NaN where NaN; the sign of a
// zero may differ).
func same(t *testing.T, name string, got, want []float32) {
	t.Helper()
	for i := range want {
		g, w := got[i], want[i]
		if g != w && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
			t.Fatalf("%s[%d] = %g, want %g", name, i, g, w)
		}
	}
}

// TestPointwise checks the dispatched loops (assembly at the SIMD levels)
// against the Go ones at every level, on lengths around the assembly's
// cutoff and its 8- and 32-element steps, with NaN and ±0 mixed in.
func TestPointwise(t *testing.T) {
	for _, l := range levels() {
		t.Run(l.String(), func(t *testing.T) {
			defer setLevel(l)()
			testPointwise(t)
		})
	}
}

func testPointwise(t *testing.T) {
	same := func(name string, got, want []float32) { t.Helper(); same(t, name, got, want) }
	for _, n := range []int{0, 1, 7, 15, 16, 17, 39, 255, 256, 1000, 4099} {
		src := randSlice(uint64(n), n)
		for i := 0; i < n; i += 17 {
			src[i] = float32(math.NaN())
		}
		for i := 5; i < n; i += 23 {
			src[i] = float32(math.Copysign(0, -1))
		}
		dy := randSlice(uint64(n)+1, n)

		got, want := make([]float32, n), make([]float32, n)
		reluCopy(got, src)
		reluGo(want, src)
		same("relu", got, want)
		inplace := append([]float32(nil), src...)
		Relu(inplace, inplace)
		same("relu in place", inplace, want)

		got, want = append([]float32(nil), dy...), append([]float32(nil), dy...)
		addTo(got, src)
		addGo(want, src)
		same("add", got, want)

		reluGrad(got, dy, src)
		reluGradGo(want, dy, src)
		same("reluGrad", got, want)

		r := randSlice(uint64(n)+2, n)
		reluGradAdd(got, dy, src, r)
		reluGradAddGo(want, dy, src, r)
		same("reluGradAdd", got, want)
		inplace = append([]float32(nil), dy...)
		reluGradAdd(inplace, inplace, src, r)
		same("reluGradAdd in place", inplace, want)

		if n >= 4 {
			m, cols, ld := 4, n/4-1, n/4
			b := randSlice(9, m)
			for _, relu := range []bool{false, true} {
				for _, bias := range [][]float32{nil, b} {
					got, want = append([]float32(nil), src...), append([]float32(nil), src...)
					biasRelu(got, m, max(cols, 0), ld, bias, relu)
					biasReluGo(want, m, max(cols, 0), ld, bias, relu)
					same("biasRelu", got, want) // also checks the column outside the block is untouched
				}
			}
		}
	}
}

// TestAdd checks Add and AddRelu (the runtime chain's residual Add) against
// the plain loop at every level, in place and not, bit for bit.
func TestAdd(t *testing.T) {
	for _, l := range levels() {
		t.Run(l.String(), func(t *testing.T) {
			defer setLevel(l)()
			testAdd(t, l)
		})
	}
}

func testAdd(t *testing.T, l level) {
	{
		for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000} {
			a, b := make([]float32, n), make([]float32, n)
			for i := range a {
				a[i], b[i] = float32(i)*0.37-3, float32(n-i)*1.13
			}
			want := make([]float32, n)
			for i := range want {
				want[i] = a[i] + b[i]
			}
			for _, f := range []struct {
				name string
				add  func(y, a, b []float32)
			}{{"Add", Add}, {"add3Go", add3Go}} {
				y := make([]float32, n)
				f.add(y, a, b)
				inPlace := append([]float32{}, a...)
				f.add(inPlace, inPlace, b)
				for i := range want {
					if y[i] != want[i] || inPlace[i] != want[i] {
						t.Fatalf("%s, %s, n=%d: [%d] = %g (in place %g), want %g", l, f.name, n, i, y[i], inPlace[i], want[i])
					}
				}
			}
			for _, f := range []struct {
				name string
				add  func(y, r, a, b []float32)
			}{{"AddRelu", AddRelu}, {"addRelu3Go", addRelu3Go}} {
				y, r := append([]float32{}, a...), append([]float32{}, b...)
				f.add(y, r, y, r) // the chain's case: both outputs over dying operands
				for i := range want {
					if y[i] != want[i] || r[i] != max(want[i], 0) {
						t.Fatalf("%s, %s, n=%d: [%d] = %g, relu %g; want %g, %g", l, f.name, n, i, y[i], r[i], want[i], max(want[i], 0))
					}
				}
			}
		}
	}
}

// TestGatherImplementations checks the dispatched im2col and col2im
// (assembly row loops for stride 1 at the SIMD levels) against the Go
// versions, bit for bit: both only copy, or add one term per pixel in the
// same order.
func TestGatherImplementations(t *testing.T) {
	for _, l := range levels() {
		t.Run(l.String(), func(t *testing.T) {
			defer setLevel(l)()
			testGather(t)
		})
	}
}

func testGather(t *testing.T) {
	for _, c := range convCases() {
		pl := c.plan(t)
		x := randSlice(3, pl.XSize())
		for r0 := 0; r0 < pl.OH; r0 += pl.panelRows {
			r1 := min(r0+pl.panelRows, pl.OH)
			n := pl.K * (r1 - r0) * pl.OW
			for _, relu := range []bool{false, true} {
				got, want := randSlice(4, n), randSlice(5, n) // garbage: every entry is written
				pl.im2col(got, x, r0, r1, relu)
				pl.im2colGo(want, x, r0, r1, relu)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%s rows [%d,%d) relu=%v: im2col[%d] = %g, Go %g", c.name, r0, r1, relu, i, got[i], want[i])
					}
				}
			}
			dcol := randSlice(6, n)
			got, want := randSlice(7, pl.XSize()), randSlice(7, pl.XSize())
			pl.col2im(got, dcol, r0, r1)
			pl.col2imGo(want, dcol, r0, r1)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("%s rows [%d,%d): col2im[%d] = %g, Go %g", c.name, r0, r1, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSigmoidTanhAccuracy: the float32 Sigmoid and Tanh are within 3 ulp
// of the exact value (float64 reference) over a dense sweep of float32
// values and the extremes; NaN stays NaN, ±Inf gives the limits.
func TestSigmoidTanhAccuracy(t *testing.T) {
	t.Parallel()
	ulps := func(got float32, want float64) float64 {
		w := float32(want)
		u := math.Nextafter32(w, float32(math.Inf(1))) - w
		if u == 0 || math.IsInf(float64(u), 0) {
			u = w - math.Nextafter32(w, float32(math.Inf(-1)))
		}
		if w == 0 {
			return math.Abs(float64(got)) / float64(math.SmallestNonzeroFloat32)
		}
		return math.Abs(float64(got)-want) / float64(u)
	}
	var worstS, worstT float64
	check := func(x float32) {
		if w := Sigmoid64(float64(x)); w >= 1e-37 { // below, float32 flushes: the absolute error is < 1e-37
			worstS = max(worstS, ulps(Sigmoid(x), w))
		}
		worstT = max(worstT, ulps(Tanh(x), math.Tanh(float64(x))))
	}
	for x := float32(-90); x <= 90; x += 0.000731 {
		check(x)
	}
	for e := -40; e <= 0; e++ { // small magnitudes, where tanh(x) ≈ x
		v := float32(math.Ldexp(1.37, e))
		check(v)
		check(-v)
	}
	t.Logf("worst: sigmoid %.2f ulp, tanh %.2f ulp", worstS, worstT)
	if worstS > 3 || worstT > 3 {
		t.Errorf("worst: sigmoid %.2f ulp, tanh %.2f ulp; want <= 3", worstS, worstT)
	}
	inf := float32(math.Inf(1))
	for _, c := range []struct{ x, s, th float32 }{{inf, 1, 1}, {-inf, 0, -1}, {0, 0.5, 0}} {
		if Sigmoid(c.x) != c.s || Tanh(c.x) != c.th {
			t.Errorf("x %v: sigmoid %v tanh %v", c.x, Sigmoid(c.x), Tanh(c.x))
		}
	}
	nan := float32(math.NaN())
	if s, th := Sigmoid(nan), Tanh(nan); s == s || th == th {
		t.Errorf("NaN: sigmoid %v tanh %v", s, th)
	}
}

// TestGateSIMDEqualsGo: the gate loops (gate_amd64.s) give bit for bit the
// Go functions' results (Tanh(a)·Sigmoid(b) and the gradients' formulas)
// at every level, on values across the ranges of each branch (the
// polynomials, the exponential, underflow, ±0, ±Inf, NaN) and lengths
// with tails.
func TestGateSIMDEqualsGo(t *testing.T) {
	special := []float32{0, float32(math.Copysign(0, -1)), 0.6249, 0.625, -0.625, 1e-30, -1e-30, 43.5, -43.5, 86.5, -86.5, 100, -100,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()), 3e38, -3e38}
	n := 1000 + 7
	a, b, dy := make([]float32, n), make([]float32, n), make([]float32, n)
	for i := range a {
		a[i] = float32(math.Sin(float64(i)*1.7)) * float32(i%13)
		b[i] = float32(math.Cos(float64(i)*0.9)) * float32(i%29)
		dy[i] = float32(i%5) - 2.3
	}
	copy(a, special)
	copy(b[len(special):], special)
	for _, lv := range levels() {
		restore := setLevel(lv)
		defer restore()
		for _, m := range []int{n, 16, 17, 31} {
			y, da, db := make([]float32, m), make([]float32, m), make([]float32, m)
			da1, db1 := make([]float32, m), make([]float32, m)
			Gate(y, a[:m], b[:m])
			GateGrad(da, db, dy[:m], a[:m], b[:m]) // both at once (gateGradAB)
			GateGrad(da1, nil, dy[:m], a[:m], b[:m])
			GateGrad(nil, db1, dy[:m], a[:m], b[:m])
			for i := range y {
				tn, s := Tanh(a[i]), Sigmoid(b[i])
				want := []float32{tn * s, dy[i] * s * (1 - tn*tn), dy[i] * tn * s * (1 - s), dy[i] * s * (1 - tn*tn), dy[i] * tn * s * (1 - s)}
				for k, got := range []float32{y[i], da[i], db[i], da1[i], db1[i]} {
					if math.Float32bits(got) != math.Float32bits(want[k]) && !(got != got && want[k] != want[k]) {
						t.Fatalf("level %v, n %d, element %d (a %v, b %v): output %d is %v, the Go functions give %v", lv, m, i, a[i], b[i], k, got, want[k])
					}
				}
			}
		}
	}
}
