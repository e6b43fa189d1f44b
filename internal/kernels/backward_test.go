package kernels

import (
	"fmt"
	"math"
	"testing"
)

// refGrad is the float64 adjoint of refConv (Fuse{ReluIn: reluIn}, bias on)
// for the loss L = Σ dy·y: it returns dx (N,C,H,W), dw (O,C,KH,KW, zero at
// dead taps), db (O), and for each the sum of |terms| for closeTo's bound.
func refGrad(p ConvParams, oh, ow int, x, w, dy []float64, n int, reluIn bool) (dx, dw, db, sx, sw, sb []float64) {
	live := make([]bool, p.KH*p.KW)
	for _, t := range p.Taps {
		live[t] = true
	}
	dx, sx = make([]float64, len(x)), make([]float64, len(x))
	dw, sw = make([]float64, len(w)), make([]float64, len(w))
	db, sb = make([]float64, p.Out), make([]float64, p.Out)
	for i := 0; i < n; i++ {
		for o := 0; o < p.Out; o++ {
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					g := dy[((i*p.Out+o)*oh+oy)*ow+ox]
					db[o] += g
					sb[o] += math.Abs(g)
					for c := 0; c < p.In; c++ {
						for ky := 0; ky < p.KH; ky++ {
							for kx := 0; kx < p.KW; kx++ {
								iy := oy*p.Stride[0] - p.Pads[0] + ky*p.Dilation[0]
								ix := ox*p.Stride[1] - p.Pads[1] + kx*p.Dilation[1]
								if !live[ky*p.KW+kx] || iy < 0 || iy >= p.H || ix < 0 || ix >= p.W {
									continue
								}
								xi := ((i*p.In+c)*p.H+iy)*p.W + ix
								wi := ((o*p.In+c)*p.KH+ky)*p.KW + kx
								xv := x[xi]
								if reluIn && xv <= 0 {
									xv = 0
								} else {
									dx[xi] += g * w[wi]
									sx[xi] += math.Abs(g * w[wi])
								}
								dw[wi] += g * xv
								sw[wi] += math.Abs(g * xv)
							}
						}
					}
				}
			}
		}
	}
	return
}

// loss is L = Σ dy·refConv(x, w, b): linear in w and b, and in x away from
// relu's kink, so central differences are exact up to float64 rounding.
func loss(p ConvParams, oh, ow int, x, w, b, dy []float64, n int, reluIn bool) float64 {
	y, _ := refConv(p, oh, ow, x, w, b, nil, n, Fuse{ReluIn: reluIn})
	var l float64
	for i := range y {
		l += y[i] * dy[i]
	}
	return l
}

// TestRefGradFiniteDifferences checks the float64 adjoint refGrad, which
// TestBackward trusts, against central differences of refConv. Inputs are
// kept at |x| ≥ 0.05 and the step is 1e-3, so no difference crosses relu's
// kink; the loss is then piecewise linear and the only error is float64
// rounding of sums of ~1e3 terms of size ~1, far below the 1e-9 tolerance.
func TestRefGradFiniteDifferences(t *testing.T) {
	for _, c := range convCases() {
		if c.name != "3x3/B" && c.name != "7x7/A" && c.name != "5x3/asym" && c.name != "1x1" {
			continue
		}
		for _, reluIn := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/reluIn=%v", c.name, reluIn), func(t *testing.T) {
				pl := c.plan(t)
				p, n := pl.Params(), 2
				x := f64(randSlice(1, n*pl.XSize()))
				for i, v := range x {
					if math.Abs(v) < 0.05 {
						x[i] = math.Copysign(0.05+math.Abs(v), v)
					}
				}
				w, b := f64(randSlice(2, pl.WSize())), f64(randSlice(3, p.Out))
				dy := f64(randSlice(4, n*pl.YSize()))
				dx, dw, db, _, _, _ := refGrad(p, pl.OH, pl.OW, x, w, dy, n, reluIn)
				const h = 1e-3
				check := func(name string, v, grad []float64) {
					for i := range v {
						old := v[i]
						v[i] = old + h
						lp := loss(p, pl.OH, pl.OW, x, w, b, dy, n, reluIn)
						v[i] = old - h
						lm := loss(p, pl.OH, pl.OW, x, w, b, dy, n, reluIn)
						v[i] = old
						fd := (lp - lm) / (2 * h)
						want := grad[i]
						if name == "w" && !contains(p.Taps, i%(p.KH*p.KW)) {
							want = 0 // the kernel's contract: dead taps have gradient exactly 0
						}
						if !(math.Abs(fd-want) <= 1e-9*(1+math.Abs(fd))) {
							t.Fatalf("d%s[%d]: adjoint %g, finite difference %g", name, i, want, fd)
						}
					}
				}
				check("x", x, dx)
				check("b", b, db)
				if len(p.Taps) == p.KH*p.KW { // dead taps do not enter refConv: nothing to difference
					check("w", w, dw)
				} else {
					checkLive(t, p, w, dw, func() float64 { return loss(p, pl.OH, pl.OW, x, w, b, dy, n, reluIn) })
				}
			})
		}
	}
}

// checkLive differences only live taps of w and checks dead ones are 0.
func checkLive(t *testing.T, p ConvParams, w, dw []float64, l func() float64) {
	t.Helper()
	kk := p.KH * p.KW
	for i := range w {
		if !contains(p.Taps, i%kk) {
			if dw[i] != 0 {
				t.Fatalf("dw[%d] at dead tap %d = %g, want 0", i, i%kk, dw[i])
			}
			continue
		}
		old := w[i]
		w[i] = old + 1e-3
		lp := l()
		w[i] = old - 1e-3
		lm := l()
		w[i] = old
		if fd := (lp - lm) / 2e-3; !(math.Abs(fd-dw[i]) <= 1e-9*(1+math.Abs(fd))) {
			t.Fatalf("dw[%d]: adjoint %g, finite difference %g", i, dw[i], fd)
		}
	}
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// TestBackward checks the float32 kernels against refGrad within the
// forward error bound of their sums (closeTo), at batch 1 and 3, 1 and 3
// threads; dead taps' weight gradient must be exactly 0.
func TestBackward(t *testing.T) {
	for ci, c := range convCases() {
		for _, n := range []int{1, 3} {
			for _, reluIn := range []bool{false, true} {
				for _, tt := range gemmImpls(3) {
					threads := tt.threads
					t.Run(fmt.Sprintf("%s/n%d/reluIn=%v/t%d/%s", c.name, n, reluIn, threads, tt.level), func(t *testing.T) {
						defer setLevel(tt.level)()
						pl := c.plan(t)
						p := pl.Params()
						seed := uint64(1000 + 10*ci + n)
						x := randSlice(seed, n*pl.XSize())
						w := randSlice(seed+1, pl.WSize())
						zeroDead(w, p.KH*p.KW, p.Taps)
						dy := randSlice(seed+2, n*pl.YSize())
						rdx, rdw, rdb, sx, sw, sb := refGrad(p, pl.OH, pl.OW, f64(x), f64(w), f64(dy), n, reluIn)
						wp := pl.Pack(nil, w)
						dx := randSlice(9, len(x)) // garbage: Backward overwrites
						dwp, db := randSlice(10, len(wp)), randSlice(11, p.Out)
						ws := Workspace{Threads: threads}
						pl.Backward(&ws, dx, dwp, db, dy, x, wp, n, reluIn)
						terms := n * pl.OH * pl.OW // terms in each dw and db sum
						closeTo(t, "db", db, rdb, sb, terms)
						closeTo(t, "dw", pl.Unpack(nil, dwp), rdw, sw, terms)
						closeTo(t, "dx", dx, rdx, sx, p.Out*p.KH*p.KW)
						dw := pl.Unpack(nil, dwp)
						for i, v := range dw {
							if !contains(p.Taps, i%(p.KH*p.KW)) && v != 0 {
								t.Fatalf("dw[%d] at dead tap = %g, want exactly 0", i, v)
							}
						}
						// Skipping outputs gives the same values for the rest.
						dx2 := make([]float32, len(x))
						pl.Backward(&ws, dx2, nil, nil, dy, x, wp, n, reluIn)
						for i := range dx {
							if dx[i] != dx2[i] {
								t.Fatalf("dx[%d] = %g alone, %g with dw and db", i, dx2[i], dx[i])
							}
						}
					})
				}
			}
		}
	}
}
