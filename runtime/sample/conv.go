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

// conv compiles a Conv layer: its shift is the input's plus the largest
// linear offset of a live tap that can fall inside the image. When that
// brings the shift to 0 or more (the output at q would need pixel q or a
// later one) from an input that did not need them (or from the image
// itself), the tap is the cause named if the logits end up so: a tap after
// the output pixel on the input, the input pixel itself, or a later
// position of a layer that does not run far enough ahead of the pixels.
// Otherwise the output keeps its input's cause.
func (pl *plan) conv(lp *layers.Plan, l *layers.Layer, x *vinfo, newSlot func(int, int) *vinfo) (op, *vinfo, error) {
	n, c := l.Node, l.Conv
	if !c.Aligned() {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op,
			Reason: fmt.Sprintf("strides %v, pads %v; only stride 1 and size-preserving pads keep positions aligned", c.Stride, c.Pads)}
	}
	xname := lp.Values[l.In[0]].V.Name
	out := &vinfo{c: c.O}
	cop := &convOp{in: x.slot, ci: c.C, co: c.O}
	if c.B != nil {
		cop.bias = c.B.F32
	}
	taps := c.KH * c.KW
	first, minOff := true, 0
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
		cop.taps = append(cop.taps, convTap{off: off, w: packed})
		shift := x.shift + pl.lin(off)
		if first || pl.lin(off) < minOff {
			minOff = pl.lin(off)
		}
		if !first && shift <= out.shift {
			continue
		}
		first = false
		out.shift, out.cause = shift, x.cause
		if shift < 0 || x.cause != nil {
			continue
		}
		cerr := &CausalityError{Node: n.Name, Op: n.Op, Input: xname, Row: t / c.KW, Col: t % c.KW, Offset: off}
		switch {
		case x.slot == pl.input && after(off):
			cerr.Reason = "it sees an input pixel after the output pixel"
		case x.slot == pl.input:
			cerr.Reason = "the output pixel sees its own input pixel (the first layer needs mask A)"
		default:
			cerr.Reason = "it reads a later position of the layer below, so the layer is not causal"
		}
		out.cause = cerr
	}
	if first {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: "no live tap falls inside the image"}
	}
	x.reads = append(x.reads, [2]int{out.shift, minOff})
	s := newSlot(l.Out, c.O)
	s.shift, s.cause = out.shift, out.cause
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
