package kernels

// im2colGo gathers output rows [r0, r1) of one image for the live taps:
// col[(c·T+t), (oy-r0)·OW+ox] = x[c, oy·sh+iy0(t), ox·sw+ix0(t)], or 0 where
// that pixel is padding; with relu, max(x, 0).
// x is (C,H,W) of one image, col is (C·T, (r1-r0)·OW) packed.
// im2col runs the same gather with the assembly row loops.
func (pl *ConvPlan) im2colGo(col, x []float32, r0, r1 int, relu bool) {
	h, w, ow := pl.p.H, pl.p.W, pl.OW
	ld := (r1 - r0) * ow
	row := 0
	for c := 0; c < pl.p.In; c++ {
		xc := x[c*h*w : (c+1)*h*w]
		for _, g := range pl.taps {
			dst := col[row*ld : (row+1)*ld]
			row++
			for oy := r0; oy < r1; oy++ {
				d := dst[(oy-r0)*ow : (oy-r0+1)*ow]
				iy := oy*pl.sh + g.iy0
				if iy < 0 || iy >= h || g.lo == g.hi {
					clear(d)
					continue
				}
				clear(d[:g.lo])
				clear(d[g.hi:])
				src := xc[iy*w : (iy+1)*w]
				if pl.sw == 1 {
					s := src[g.lo+g.ix0 : g.hi+g.ix0]
					if relu {
						reluGo(d[g.lo:g.hi], s)
					} else {
						copy(d[g.lo:g.hi], s)
					}
					continue
				}
				for ox := g.lo; ox < g.hi; ox++ {
					v := src[ox*pl.sw+g.ix0]
					if relu && v < 0 {
						v = 0
					}
					d[ox] = v
				}
			}
		}
	}
}

// col2imGo is im2col's adjoint: it adds the gathered gradient back onto the
// pixels it came from. dx is (C,H,W) of one image, dcol is (C·T, (r1-r0)·OW).
func (pl *ConvPlan) col2imGo(dx, dcol []float32, r0, r1 int) {
	h, w, ow := pl.p.H, pl.p.W, pl.OW
	ld := (r1 - r0) * ow
	row := 0
	for c := 0; c < pl.p.In; c++ {
		xc := dx[c*h*w : (c+1)*h*w]
		for _, g := range pl.taps {
			src := dcol[row*ld : (row+1)*ld]
			row++
			if g.lo == g.hi {
				continue
			}
			for oy := r0; oy < r1; oy++ {
				iy := oy*pl.sh + g.iy0
				if iy < 0 || iy >= h {
					continue
				}
				s := src[(oy-r0)*ow+g.lo : (oy-r0)*ow+g.hi]
				d := xc[iy*w : (iy+1)*w]
				if pl.sw == 1 {
					addGo(d[g.lo+g.ix0:g.hi+g.ix0], s)
					continue
				}
				for i, v := range s {
					d[(g.lo+i)*pl.sw+g.ix0] += v
				}
			}
		}
	}
}

// rowsIn returns the output rows [ya, yb) within [r0, r1) whose input row
// for tap g lies inside the image (oy·sh + iy0 in [0, H)).
func (pl *ConvPlan) rowsIn(g tapGeo, r0, r1 int) (ya, yb int) {
	ya, yb = r0, r1
	if g.iy0 < 0 {
		ya = max(ya, (-g.iy0+pl.sh-1)/pl.sh)
	}
	yb = min(yb, max(0, (pl.p.H-g.iy0+pl.sh-1)/pl.sh))
	return ya, max(ya, yb)
}

// im2col is im2colGo, bit for bit, with each (channel, tap)'s rows copied by
// one call of an assembly loop where the columns are contiguous (stride 1
// in width) at the SIMD levels.
func (pl *ConvPlan) im2col(col, x []float32, r0, r1 int, relu bool) {
	if !simd() || pl.sw != 1 {
		pl.im2colGo(col, x, r0, r1, relu)
		return
	}
	h, w, ow, nt := pl.p.H, pl.p.W, pl.OW, len(pl.taps)
	ld := (r1 - r0) * ow
	for t, g := range pl.taps {
		ya, yb := pl.rowsIn(g, r0, r1)
		for c := 0; c < pl.p.In; c++ {
			dst := col[(c*nt+t)*ld : (c*nt+t+1)*ld]
			if ya == yb || g.lo == g.hi {
				clear(dst)
				continue
			}
			clear(dst[:(ya-r0)*ow])
			clear(dst[(yb-r0)*ow:])
			if g.lo > 0 || g.hi < ow {
				clear(dst[(ya-r0)*ow : (yb-r0)*ow])
			}
			d := dst[(ya-r0)*ow+g.lo:]
			s := x[c*h*w+(ya*pl.sh+g.iy0)*w+g.lo+g.ix0:]
			if relu {
				reluRowsSIMD(d, ow, s, pl.sh*w, yb-ya, g.hi-g.lo)
			} else {
				copyRowsSIMD(d, ow, s, pl.sh*w, yb-ya, g.hi-g.lo)
			}
		}
	}
}

// col2im is col2imGo, bit for bit (each pixel gets its taps' terms in the
// same order), with assembly row loops at the SIMD levels.
func (pl *ConvPlan) col2im(dx, dcol []float32, r0, r1 int) {
	if !simd() || pl.sw != 1 {
		pl.col2imGo(dx, dcol, r0, r1)
		return
	}
	h, w, ow, nt := pl.p.H, pl.p.W, pl.OW, len(pl.taps)
	ld := (r1 - r0) * ow
	for t, g := range pl.taps {
		ya, yb := pl.rowsIn(g, r0, r1)
		if ya == yb || g.lo == g.hi {
			continue
		}
		for c := 0; c < pl.p.In; c++ {
			s := dcol[(c*nt+t)*ld+(ya-r0)*ow+g.lo:]
			d := dx[c*h*w+(ya*pl.sh+g.iy0)*w+g.lo+g.ix0:]
			addRowsSIMD(d, pl.sh*w, s, ow, yb-ya, g.hi-g.lo)
		}
	}
}
