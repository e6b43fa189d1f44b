package kernels

import (
	"fmt"
	"math"
	"testing"
)

// TestForwardResidual: ForwardResidual is bit for bit Forward followed by
// the residual Add (y + r per element) and then the ReLU, for every
// geometry, fusion but Accumulate, batch, thread count and level (the
// epilogue's + r and the generic level's separate pass alike).
func TestForwardResidual(t *testing.T) {
	for ci, c := range convCases() {
		for _, n := range []int{1, 3} {
			for fi, f := range []Fuse{{}, {ReluIn: true}, {ReluOut: true}, {ReluIn: true, ReluOut: true}} {
				for _, tt := range gemmImpls(3) {
					t.Run(fmt.Sprintf("%s/n%d/%+v/t%d/%s", c.name, n, f, tt.threads, tt.level), func(t *testing.T) {
						defer setLevel(tt.level)()
						d := newConvData(t, c, uint64(100*ci+10*fi+n), n, f)
						pl, p := d.pl, d.pl.Params()
						wp := pl.Pack(nil, deadNaN(d.w, p.KH*p.KW, p.Taps))
						r := randSlice(uint64(7+ci), len(d.y0))
						ws := Workspace{Threads: tt.threads}
						want := make([]float32, len(d.y0))
						pl.Forward(&ws, want, d.x, wp, d.b, n, Fuse{ReluIn: f.ReluIn})
						for i := range want {
							want[i] += r[i]
							if f.ReluOut {
								want[i] = max(want[i], 0)
							}
						}
						got := append([]float32(nil), d.y0...) // overwritten, not read
						pl.ForwardResidual(&ws, got, d.x, wp, d.b, r, n, f)
						sameBits(t, "y", got, want)
					})
				}
			}
		}
	}
}

// TestBackwardX: BackwardX is bit for bit Backward's dx followed by
// dx += dres, with and without the ReLU on x (masked where x ≤ 0 or NaN),
// and without dres, for every geometry, batch, thread count and level.
func TestBackwardX(t *testing.T) {
	for ci, c := range convCases() {
		for _, n := range []int{1, 3} {
			for _, reluIn := range []bool{false, true} {
				for _, tt := range gemmImpls(3) {
					t.Run(fmt.Sprintf("%s/n%d/reluIn=%v/t%d/%s", c.name, n, reluIn, tt.threads, tt.level), func(t *testing.T) {
						defer setLevel(tt.level)()
						d := newConvData(t, c, uint64(100*ci+n), n, Fuse{ReluIn: reluIn})
						pl, p := d.pl, d.pl.Params()
						wp := pl.Pack(nil, deadNaN(d.w, p.KH*p.KW, p.Taps))
						x := append([]float32(nil), d.x...)
						x[0] = float32(math.NaN()) // relu'(NaN) is 0, as in ReluGrad
						dy := randSlice(uint64(11+ci), n*pl.YSize())
						dres := randSlice(uint64(13+ci), len(x))
						ws := Workspace{Threads: tt.threads}
						dx := make([]float32, len(x))
						pl.Backward(&ws, dx, nil, nil, dy, x, wp, n, reluIn)
						want := append([]float32(nil), dx...)
						for i := range want {
							want[i] += dres[i]
						}
						got := randSlice(17, len(x)) // overwritten, not read
						pl.BackwardX(&ws, got, dy, x, wp, dres, n, reluIn)
						sameBits(t, "dx", got, want)
						pl.BackwardX(&ws, got, dy, x, wp, nil, n, reluIn)
						sameBits(t, "dx without dres", got, dx)
					})
				}
			}
		}
	}
}

// sameBits fails unless got and want hold the same float32 bits.
func sameBits(t *testing.T, what string, got, want []float32) {
	t.Helper()
	for i := range want {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("%s[%d] = %g, want %g", what, i, got[i], want[i])
		}
	}
}
