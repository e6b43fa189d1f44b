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
