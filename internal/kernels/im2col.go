package kernels

// im2colGo gathers output rows [r0, r1) of one image for the live taps:
// col[(c·T+t), (oy-r0)·OW+ox] = x[c, oy·sh+iy0(t), ox·sw+ix0(t)], or 0 where
// that pixel is padding; with relu, max(x, 0).
// x is (C,H,W) of one image, col is (C·T, (r1-r0)·OW) packed.
// The cgo build runs stride-1 gathers in C (im2col_c.go).
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
