package kernels

import (
	"math"
	"testing"
)

// TestPointwise checks the dispatched loops (C in the cgo build) against
// the Go ones, on lengths around the cgo threshold, with NaN and ±0 mixed
// in. Results must be equal (== ; NaN where NaN; the sign of a zero may
// differ).
func TestPointwise(t *testing.T) {
	same := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			g, w := got[i], want[i]
			if g != w && !(math.IsNaN(float64(g)) && math.IsNaN(float64(w))) {
				t.Fatalf("%s[%d] = %g, want %g", name, i, g, w)
			}
		}
	}
	for _, n := range []int{0, 1, 255, 256, 1000, 4099} {
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

// TestGatherImplementations checks the dispatched im2col and col2im (C for
// stride 1 in the cgo build) against the Go versions, bit for bit: both only
// copy, or add one term per pixel in the same order.
func TestGatherImplementations(t *testing.T) {
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
