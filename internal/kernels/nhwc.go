package kernels

import "fmt"

// Channels-last (NHWC) forward convolution without im2col.
//
// ForwardNHWC is Forward for activations stored channels-last: x is
// (N,H,W,C) and y is (N,OH,OW,O). At the AVX-512 and AVX2 levels it runs a
// direct kernel in assembly (direct_amd64.go) that reads the input where it
// lies and the weight packed once by PackDirect, so no im2col panel and no
// copy of the activations is made; at the generic level it runs
// directBandGo, a plain loop with the same definition. HasDirect reports
// which.

// HasDirect reports whether ForwardNHWC runs an assembly kernel (AVX-512 or
// AVX2); without one, ForwardNHWC is a plain Go loop, correct but many
// times slower than Forward.
func HasDirect() bool { return simd() }

// directPanel is the width, in output channels, of one panel of a
// direct-packed weight: 4 vectors of 16.
const directPanel = 64

// DirectPackedSize is the element count of a weight packed by PackDirect:
// O rounded up to 16, times C·T.
func (pl *ConvPlan) DirectPackedSize() int { return (pl.p.Out + 15) &^ 15 * pl.K }

// PackDirect copies the live taps of w (O,C,KH,KW) into dst in the layout of
// ForwardNHWC: panels of 64 output channels (the last one rounded up to 16,
// zero-padded), each (T·C, width) with row k = t·C + c, t the index of the
// live tap. dst is reused when it has the capacity.
func (pl *ConvPlan) PackDirect(dst, w []float32) []float32 {
	if len(w) != pl.WSize() {
		panic(fmt.Sprintf("kernels.PackDirect: weight has %d elements, (O,C,KH,KW)=(%d,%d,%d,%d) needs %d",
			len(w), pl.p.Out, pl.p.In, pl.p.KH, pl.p.KW, pl.WSize()))
	}
	dst = grow(dst, pl.DirectPackedSize())
	o, c, kk := pl.p.Out, pl.p.In, pl.p.KH*pl.p.KW
	opad := (o + 15) &^ 15
	i := 0
	for o0 := 0; o0 < opad; o0 += directPanel {
		pw := min(directPanel, opad-o0)
		for _, tap := range pl.p.Taps {
			for ci := 0; ci < c; ci++ {
				for j := 0; j < pw; j++ {
					v := float32(0)
					if oc := o0 + j; oc < o {
						v = w[(oc*c+ci)*kk+tap]
					}
					dst[i] = v
					i++
				}
			}
		}
	}
	return dst
}

// ForwardNHWC computes, for n images stored channels-last,
//
//	y = reluOut(conv(reluIn(x), w) + b [+ y])
//
// x is (N,H,W,C), wd the weight packed by PackDirect, b is (O) or nil, y is
// (N,OH,OW,O). Each output is Σ x·w in increasing (tap, channel) order,
// then + b, then (Accumulate) + the old y, then the ReLU: with Accumulate,
// bit for bit a Conv followed by an Add (Forward instead adds the old y
// before the bias). Work is split into (image, band of output pixels)
// units across ws.Threads goroutines; the result does not depend on the
// split.
func (pl *ConvPlan) ForwardNHWC(ws *Workspace, y, x, wd, b []float32, n int, f Fuse) {
	pl.checkShapes(y, x, b, n)
	if len(wd) != pl.DirectPackedSize() {
		panic(fmt.Sprintf("kernels: direct-packed weight has %d elements, want %d (use PackDirect)",
			len(wd), pl.DirectPackedSize()))
	}
	threads := ws.threads()
	hw := pl.OH * pl.OW
	bands := 1
	if n > 0 && n < threads {
		bands = min((threads+n-1)/n, hw)
	}
	ws.zeros = grow(ws.zeros, pl.p.In) // never written: stays zero
	j := &ws.nhwc
	*j = nhwcJob{pl: pl, ws: ws, y: y, x: x, wd: wd, b: b, f: f, bands: bands}
	parallelFor(n*bands, min(threads, n*bands), j)
	*j = nhwcJob{}
}

// ForwardNHWCPixels is ForwardNHWC for output pixels [p0, p1) (raster
// order) of one image, on the calling goroutine: x is that image (H,W,C), y
// its output (OH,OW,O), of which only the pixels in range are written (and,
// with Accumulate, read). Callers that split images into bands of rows
// themselves (the runtime chain's row bands) use it; the values written
// are ForwardNHWC's, bit for bit. ws serves the padding row only.
func (pl *ConvPlan) ForwardNHWCPixels(ws *Workspace, y, x, wd, b []float32, p0, p1 int, f Fuse) {
	pl.checkShapes(y, x, b, 1)
	if len(wd) != pl.DirectPackedSize() {
		panic(fmt.Sprintf("kernels: direct-packed weight has %d elements, want %d (use PackDirect)",
			len(wd), pl.DirectPackedSize()))
	}
	if p0 < 0 || p1 < p0 || p1 > pl.OH*pl.OW {
		panic(fmt.Sprintf("kernels: pixels [%d, %d) outside the %dx%d output", p0, p1, pl.OH, pl.OW))
	}
	ws.zeros = grow(ws.zeros, pl.p.In) // never written: stays zero
	if len(pl.taps) > 0 && simd() {
		pl.directBandSIMD(y, x, wd, b, ws.zeros, p0, p1, f)
	} else {
		pl.directBandGo(y, x, wd, b, p0, p1, f)
	}
}

// ForwardRows computes n output rows of the conv whose inputs a table
// locates instead of the image geometry (the cached sampler's product at
// one position for a batch of images, each row an image): for r < n,
//
//	y[r·ldy : r·ldy+O] = reluOut(Σ_t Σ_c reluIn(x[offs[t·ldo + r] + c])·w[·, c, tap t] + b [+ y])
//
// t over the plan's live taps in order, an offset < 0 reading zeros (a
// tap in the padding: multiplied like any input, as ForwardNHWC does).
// The sums run in ForwardNHWC's order, so a row whose table matches an
// image pixel's taps gets that pixel's output bit for bit. wd is from
// PackDirect; offs holds ldo ≥ n + 5 entries per live tap, the 5 past n
// read by the last tile like the others (each must be < 0 or, like every
// offset, leave C values in x). Bad offsets panic. Runs on the calling
// goroutine; ws serves the padding row only.
func (pl *ConvPlan) ForwardRows(ws *Workspace, y []float32, ldy int, x []float32, offs []int32, ldo, n int, wd, b []float32, f Fuse) {
	c, o, taps := pl.p.In, pl.p.Out, len(pl.taps)
	switch {
	case n <= 0:
		return
	case ldy < o || len(y) < (n-1)*ldy+o:
		panic(fmt.Sprintf("kernels.ForwardRows: y has %d elements, %d rows of %d with stride %d need %d", len(y), n, o, ldy, (n-1)*ldy+o))
	case len(wd) != pl.DirectPackedSize():
		panic(fmt.Sprintf("kernels.ForwardRows: direct-packed weight has %d elements, want %d (use PackDirect)", len(wd), pl.DirectPackedSize()))
	case b != nil && len(b) != o:
		panic(fmt.Sprintf("kernels.ForwardRows: bias has %d elements, want O=%d", len(b), o))
	case taps > 0 && (ldo < n+directRows-1 || len(offs) < (taps-1)*ldo+n+directRows-1):
		panic(fmt.Sprintf("kernels.ForwardRows: offset table of %d entries, stride %d, for %d taps of %d rows (+%d)", len(offs), ldo, taps, n, directRows-1))
	}
	for t := 0; t < taps; t++ {
		for _, off := range offs[t*ldo : t*ldo+n+directRows-1] {
			if off >= 0 && int(off)+c > len(x) {
				panic(fmt.Sprintf("kernels.ForwardRows: offset %d + %d channels is past x's %d elements", off, c, len(x)))
			}
		}
	}
	ws.zeros = grow(ws.zeros, c) // never written: stays zero
	if taps > 0 && simd() {
		pl.directRowsSIMD(y, ldy, x, ws.zeros, offs, ldo, n, wd, b, f)
	} else {
		pl.directRowsGo(y, ldy, x, offs, ldo, n, wd, b, f)
	}
}

type nhwcJob struct {
	pl       *ConvPlan
	ws       *Workspace
	y, x, wd []float32
	b        []float32
	f        Fuse
	bands    int
}

func (j *nhwcJob) run(_, u int) {
	pl := j.pl
	i, band := u/j.bands, u%j.bands
	hw := pl.OH * pl.OW
	// bands of whole 6-pixel tiles, the last one shorter
	per := ((hw+j.bands-1)/j.bands + 5) / 6 * 6
	p0, p1 := min(band*per, hw), min((band+1)*per, hw)
	x := j.x[i*pl.XSize() : (i+1)*pl.XSize()]
	y := j.y[i*pl.YSize() : (i+1)*pl.YSize()]
	if len(pl.taps) > 0 && simd() {
		pl.directBandSIMD(y, x, j.wd, j.b, j.ws.zeros, p0, p1, j.f)
	} else {
		pl.directBandGo(y, x, j.wd, j.b, p0, p1, j.f)
	}
}

// directOffsets returns the plan's table of input offsets for the direct
// kernels, made on first use: entry t·(OH·OW+5) + p is the offset in an
// (H,W,C) image of output pixel p's input for live tap t, or -1 where it
// falls in the padding; the 5 spare pixels per tap are padding, so that a
// tile of 6 pixels never reads past the table.
func (pl *ConvPlan) directOffsets() []int32 {
	pl.offsOnce.Do(func() {
		hw := pl.OH * pl.OW
		ld := hw + directRows - 1
		offs := make([]int32, len(pl.taps)*ld)
		for t, g := range pl.taps {
			row := offs[t*ld : (t+1)*ld]
			for p := range row {
				row[p] = -1
				if p >= hw {
					continue
				}
				oy, ox := p/pl.OW, p%pl.OW
				if iy, ix := oy*pl.sh+g.iy0, ox*pl.sw+g.ix0; iy >= 0 && iy < pl.p.H && ix >= 0 && ix < pl.p.W {
					row[p] = int32((iy*pl.p.W + ix) * pl.p.In)
				}
			}
		}
		pl.offs = offs
	})
	return pl.offs
}

// directRows is the number of output pixels in a tile of the direct
// kernels (the generator's directRows).
const directRows = 6

// directBandGo is the definition of the direct kernel, for output pixels
// [p0, p1) of one image x (H,W,C) into y (OH·OW, O).
func (pl *ConvPlan) directBandGo(y, x, wd, b []float32, p0, p1 int, f Fuse) {
	if p0 >= p1 {
		return
	}
	o := pl.p.Out
	offs := pl.directOffsets()
	if len(offs) > 0 { // else no live taps: the table is empty
		offs = offs[p0:]
	}
	pl.directRowsGo(y[p0*o:], o, x, offs, pl.OH*pl.OW+directRows-1, p1-p0, wd, b, f)
}

// directRowsGo is directRowsSIMD's definition: n rows of y (ldy apart),
// row r's input for live tap t at x[offs[t·ldo + r]:] (zeros where the
// offset is < 0).
func (pl *ConvPlan) directRowsGo(y []float32, ldy int, x []float32, offs []int32, ldo, n int, wd, b []float32, f Fuse) {
	c, o := pl.p.In, pl.p.Out
	opad := (o + 15) &^ 15
	for r := 0; r < n; r++ {
		yp := y[r*ldy : r*ldy+o]
		for oc := 0; oc < o; oc++ {
			o0 := oc / directPanel * directPanel
			pw := min(directPanel, opad-o0)
			var w []float32 // panel column of oc: w[k·pw]
			if pl.K > 0 {
				w = wd[o0*pl.K+oc-o0:]
			}
			s := float32(0)
			for t := range pl.taps {
				off := offs[t*ldo+r]
				for ci := range c {
					v := float32(0) // padding: multiplied like any input, as the kernel does
					if off >= 0 {
						v = x[int(off)+ci]
					}
					if f.ReluIn {
						v = max(v, 0)
					}
					s += v * w[(t*c+ci)*pw]
				}
			}
			if b != nil {
				s += b[oc]
			}
			if f.Accumulate {
				s += yp[oc]
			}
			if f.ReluOut {
				s = max(s, 0)
			}
			yp[oc] = s
		}
	}
}
