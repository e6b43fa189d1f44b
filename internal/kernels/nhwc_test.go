package kernels

import (
	"fmt"
	"testing"
)

// transposeInto writes each of n images of x, a (rows, cols) matrix, into
// y as its (cols, rows) transpose; toNHWC and toNCHW are its two uses.
func transposeInto(y, x []float32, n, rows, cols int) {
	sz := rows * cols
	for i := range n {
		for r := range rows {
			for c := range cols {
				y[i*sz+c*rows+r] = x[i*sz+r*cols+c]
			}
		}
	}
}

func toNHWC(x []float32, n, c, h, w int) []float32 {
	y := make([]float32, len(x))
	transposeInto(y, x, n, c, h*w)
	return y
}

func toNCHW(x []float32, n, c, h, w int) []float32 {
	y := make([]float32, len(x))
	transposeInto(y, x, n, h*w, c)
	return y
}

// nhwcCases adds to convCases the sizes where the direct kernel changes
// path: output channels across 16-lane vectors and 64-channel panels,
// reductions across 64-index blocks, pixel counts that leave a partial
// 6-pixel tile, and the seed model's layers.
func nhwcCases() []convCase {
	cases := convCases()
	add := func(name string, in, out, k, h, w, pad int, taps []int) {
		cases = append(cases, convCase{name: name, p: ConvParams{In: in, Out: out, KH: k, KW: k, H: h, W: w,
			Pads: [4]int{pad, pad, pad, pad}, Taps: taps}})
	}
	add("1x1/o17", 20, 17, 1, 5, 7, 0, nil)
	add("1x1/o64/c130", 130, 64, 1, 4, 5, 0, nil)
	add("1x1/o70", 9, 70, 1, 3, 5, 0, nil)
	add("1x1/o130/c128", 128, 130, 1, 3, 3, 0, nil)
	add("3x3/B/c64/o64", 64, 64, 3, 7, 7, 1, []int{0, 1, 2, 3, 4})
	add("3x3/B/c67/o4", 67, 4, 3, 5, 6, 1, []int{0, 1, 2, 3, 4})
	add("7x7/A/c1/o128", 1, 128, 7, 9, 8, 3, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23})
	return cases
}

// TestForwardNHWC checks the direct kernels (AVX-512, AVX2 and the Go
// definition) against the float64 reference, for every geometry, fusion,
// batch and thread count of TestForward; the weight's dead taps are NaN, so
// reading one fails.
func TestForwardNHWC(t *testing.T) {
	for ci, c := range nhwcCases() {
		for _, n := range []int{1, 3} {
			for fi, f := range fuses {
				for _, threads := range []int{1, 3} {
					for _, l := range levels() {
						name := fmt.Sprintf("%s/n%d/%+v/t%d/%s", c.name, n, f, threads, l)
						t.Run(name, func(t *testing.T) {
							d := newConvData(t, c, uint64(100*ci+10*fi+n), n, f)
							pl, p := d.pl, d.pl.Params()
							y := toNHWC(d.y0, n, p.Out, pl.OH, pl.OW)
							wd := pl.PackDirect(nil, deadNaN(d.w, p.KH*p.KW, p.Taps))
							defer setLevel(l)()
							pl.ForwardNHWC(&Workspace{Threads: threads}, y, toNHWC(d.x, n, p.In, p.H, p.W), wd, d.b, n, f)
							closeTo(t, "y", toNCHW(y, n, p.Out, pl.OH, pl.OW), d.want, d.s, pl.K)
						})
					}
				}
			}
		}
	}
}

// TestForwardNHWCSplitInvariant: the same images give bit-identical outputs
// whatever the number of threads (bands of pixels) — each output's sum runs
// in one fixed order.
func TestForwardNHWCSplitInvariant(t *testing.T) {
	c := convCase{p: ConvParams{In: 64, Out: 64, KH: 3, KW: 3, H: 28, W: 28, Pads: [4]int{1, 1, 1, 1}, Taps: []int{0, 1, 2, 3, 4}}}
	pl := c.plan(t)
	x := randSlice(1, pl.XSize())
	wd := pl.PackDirect(nil, randSlice(2, pl.WSize()))
	b := randSlice(3, 64)
	var ref []float32
	for _, threads := range []int{1, 2, 3, 7} {
		y := make([]float32, pl.YSize())
		pl.ForwardNHWC(&Workspace{Threads: threads}, y, x, wd, b, 1, Fuse{ReluOut: true})
		if ref == nil {
			ref = y
			continue
		}
		for i := range y {
			if y[i] != ref[i] {
				t.Fatalf("threads %d: y[%d] = %g, want %g (1 thread)", threads, i, y[i], ref[i])
			}
		}
	}
}

// TestForwardNHWCPixels: ForwardNHWCPixels over any cut of an image into
// ranges of pixels (tile-aligned or not, empty ones included) writes
// exactly ForwardNHWC's values, at every level, with every fusion (with
// Accumulate each range adds into its own pixels only), and writes nothing
// outside its range.
func TestForwardNHWCPixels(t *testing.T) {
	c := convCase{p: ConvParams{In: 20, Out: 70, KH: 3, KW: 3, H: 7, W: 9, Pads: [4]int{1, 1, 1, 1}, Taps: []int{0, 1, 2, 3, 4}}}
	pl := c.plan(t)
	hw := pl.OH * pl.OW
	x := randSlice(1, pl.XSize())
	b := randSlice(3, pl.Params().Out)
	wd := pl.PackDirect(nil, randSlice(2, pl.WSize()))
	y0 := randSlice(4, pl.YSize())
	for _, l := range levels() {
		for _, f := range fuses {
			for _, cuts := range [][]int{{0, hw}, {0, 6, 12, hw}, {0, 1, 7, 7, 30, hw - 1, hw}, {0, 9, 18, 27, 36, 45, 54, hw}} {
				t.Run(fmt.Sprintf("%s/%+v/%v", l, f, cuts), func(t *testing.T) {
					defer setLevel(l)()
					want := append([]float32(nil), y0...)
					pl.ForwardNHWC(&Workspace{Threads: 1}, want, x, wd, b, 1, f)
					got := append([]float32(nil), y0...)
					var ws Workspace
					for k := 1; k < len(cuts); k++ {
						pl.ForwardNHWCPixels(&ws, got, x, wd, b, cuts[k-1], cuts[k], f)
						o := pl.Params().Out
						for i := cuts[k] * o; i < len(got); i++ { // not yet reached: untouched
							if got[i] != y0[i] {
								t.Fatalf("range [%d, %d) wrote y[%d]", cuts[k-1], cuts[k], i)
							}
						}
					}
					for i := range got {
						if got[i] != want[i] {
							t.Fatalf("y[%d] = %g, want %g (ForwardNHWC)", i, got[i], want[i])
						}
					}
				})
			}
		}
	}
}

// TestForwardRows: rows whose offset tables are the image's own pixels'
// taps (shuffled, with strides between rows) give ForwardNHWC's outputs
// bit for bit, at every level and fusion; a table pointing outside x
// panics.
func TestForwardRows(t *testing.T) {
	c := convCase{p: ConvParams{In: 20, Out: 70, KH: 3, KW: 3, H: 5, W: 4, Pads: [4]int{1, 1, 1, 1}, Taps: []int{0, 1, 2, 3, 4}}}
	pl := c.plan(t)
	hw, o := pl.OH*pl.OW, pl.Params().Out
	x, b := randSlice(1, pl.XSize()), randSlice(3, o)
	wd := pl.PackDirect(nil, randSlice(2, pl.WSize()))
	full := pl.directOffsets()                 // the image's table, ldo = hw + 5
	pix := []int{7, 0, 19, 3, 3, 11, 18, 5, 1} // rows: these pixels, one twice
	n, ldo, ldy := len(pix), len(pix)+5, o+3
	offs := make([]int32, len(pl.taps)*ldo)
	for t := range pl.taps {
		for r := range ldo {
			offs[t*ldo+r] = -1
			if r < n {
				offs[t*ldo+r] = full[t*(hw+5)+pix[r]]
			}
		}
	}
	for _, l := range levels() {
		for _, f := range fuses {
			t.Run(fmt.Sprintf("%s/%+v", l, f), func(t *testing.T) {
				defer setLevel(l)()
				y0 := randSlice(4, pl.YSize())
				want := append([]float32(nil), y0...)
				pl.ForwardNHWC(&Workspace{Threads: 1}, want, x, wd, b, 1, f)
				got := make([]float32, n*ldy)
				for r, p := range pix { // Accumulate reads the old y
					copy(got[r*ldy:r*ldy+o], y0[p*o:(p+1)*o])
				}
				pl.ForwardRows(&Workspace{}, got, ldy, x, offs, ldo, n, wd, b, f)
				for r, p := range pix {
					for k := range o {
						if got[r*ldy+k] != want[p*o+k] {
							t.Fatalf("row %d (pixel %d) channel %d: %g, want %g", r, p, k, got[r*ldy+k], want[p*o+k])
						}
					}
				}
			})
		}
	}
	bad := append([]int32(nil), offs...)
	bad[n+2] = int32(len(x)) // a spare entry past x
	defer func() {
		if recover() == nil {
			t.Error("an offset past x did not panic")
		}
	}()
	pl.ForwardRows(&Workspace{}, make([]float32, n*ldy), ldy, x, bad, ldo, n, wd, b, Fuse{})
}

func TestForwardNHWCSteadyStateAllocs(t *testing.T) {
	c := convCase{p: ConvParams{In: 8, Out: 16, KH: 3, KW: 3, H: 6, W: 6, Pads: [4]int{1, 1, 1, 1}}}
	pl := c.plan(t)
	x, y := randSlice(1, 2*pl.XSize()), make([]float32, 2*pl.YSize())
	wd := pl.PackDirect(nil, randSlice(2, pl.WSize()))
	ws := Workspace{Threads: 1}
	pl.ForwardNHWC(&ws, y, x, wd, nil, 2, Fuse{})
	if a := testing.AllocsPerRun(10, func() { pl.ForwardNHWC(&ws, y, x, wd, nil, 2, Fuse{}) }); a != 0 {
		t.Errorf("ForwardNHWC allocates %v times per call in steady state", a)
	}
}
