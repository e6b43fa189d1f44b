package sample

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// convOp computes a stride-1, group-1 Conv at one position from the live
// taps only. Each tap's weight is repacked as (ci, co), so that for a block
// of images out[n, :] += in[n, ci] * w[ci, :].
type convOp struct {
	in, out int
	ci, co  int
	taps    []convTap
	bias    []float32 // (co), nil without bias
}

type convTap struct {
	off graph.Offset
	w   []float32 // (ci, co)
}

// conv compiles a Conv layer and checks its live taps (the plan's) for
// causality: a tap may read a position before the output pixel, or the
// pixel itself; reading the pixel itself of a value that already depends on
// input pixel p (the input, or a layer that saw it) makes the output depend
// on it too. A value computed a row ahead (x.row) may be read anywhere in
// its row or the rows above; a layer computed a row ahead (row) reads the
// rows above of the others.
func (pl *plan) conv(lp *layers.Plan, l *layers.Layer, x *vinfo, row bool, newSlot func(int, int) *vinfo) (op, *vinfo, error) {
	n, c := l.Node, l.Conv
	if !c.Aligned() {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op,
			Reason: fmt.Sprintf("strides %v, pads %v; only stride 1 and size-preserving pads keep positions aligned", c.Stride, c.Pads)}
	}
	xname := lp.Values[l.In[0]].V.Name
	out := &vinfo{c: c.O, row: row}
	cop := &convOp{in: x.slot, ci: c.C, co: c.O}
	if c.B != nil {
		cop.bias = c.B.F32
	}
	taps := c.KH * c.KW
	for _, t := range c.Taps {
		off := c.Offset(t)
		if off.Dy <= -pl.h || off.Dy >= pl.h || off.Dx <= -pl.w || off.Dx >= pl.w {
			continue // never inside the image: reads padding only
		}
		packed := make([]float32, c.C*c.O)
		for o := 0; o < c.O; o++ {
			for i := 0; i < c.C; i++ {
				packed[i*c.O+o] = c.W.F32[(o*c.C+i)*taps+t]
			}
		}
		cerr := func(reason string) *CausalityError {
			return &CausalityError{Node: n.Name, Op: n.Op, Input: xname, Row: t / c.KW, Col: t % c.KW, Offset: off, Reason: reason}
		}
		unsup := func(format string, args ...any) (op, *vinfo, error) {
			return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("tap (%d,%d) reads %s at offset (%+d,%+d): ",
				t/c.KW, t%c.KW, xname, off.Dy, off.Dx) + fmt.Sprintf(format, args...)}
		}
		switch {
		case row && (x.row && off.Dy > 0 || !x.row && off.Dy >= 0):
			return unsup("a layer computed a row ahead cannot read a row that is not computed yet")
		case row:
		case x.row && off.Dy > 0:
			return unsup("a row below, computed a row ahead only")
		case x.row:
		case after(off) && x.slot == pl.input:
			return nil, nil, cerr("it sees an input pixel after the output pixel")
		case after(off):
			return nil, nil, cerr("it reads a later position of the layer below, so the layer is not causal")
		case off == (graph.Offset{}) && x.own && !out.own:
			out.own = true
			out.cause = x.cause
			if x.slot == pl.input {
				out.cause = cerr("the output pixel sees its own input pixel (the first layer needs mask A)")
			}
		}
		back := 1 - (off.Dy*pl.w + off.Dx) // positions back from the newest one needed
		if x.row {
			back += pl.w - 1 // the newest one written is the end of the row
		}
		pl.ring[x.slot] = max(pl.ring[x.slot], back)
		cop.taps = append(cop.taps, convTap{off: off, w: packed})
	}
	s := newSlot(l.Out, c.O)
	s.own, s.cause, s.row = out.own, out.cause, row
	cop.out = s.slot
	return cop, s, nil
}

func (c *convOp) apply(s *state, p int) {
	n := s.n
	dst := s.at(c.out, p)
	if c.bias != nil {
		for i := 0; i < n; i++ {
			copy(dst[i*c.co:(i+1)*c.co], c.bias)
		}
	} else {
		clear(dst)
	}
	y, x := p/s.pl.w, p%s.pl.w
	for _, t := range c.taps {
		yy, xx := y+t.off.Dy, x+t.off.Dx
		if yy < 0 || yy >= s.pl.h || xx < 0 || xx >= s.pl.w {
			continue
		}
		q := yy*s.pl.w + xx
		kernels.GemmAcc(dst, s.at(c.in, q), t.w, n, c.ci, c.co)
	}
}
