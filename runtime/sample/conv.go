package sample

import (
	"fmt"
	"math"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// convOp computes a stride-1, group-1 Conv at one position for every image
// from the live taps that can fall inside the image. Where the kernels
// have a direct kernel (kernels.HasDirect), each image is a row of
// kernels.ForwardRows, its input for a tap found by a table (the tap's
// position in the input slot's ring, or padding outside the image): every
// output is summed in the direct kernel's order, the Go runtime chain's
// own (ForwardNHWC). Otherwise (pure Go, WebAssembly, or a slot past
// int32 offsets) each tap's weight is repacked as (ci, co) and
// kernels.GemmAcc adds in[n, ci]·w[ci, :] tap by tap, skipping input
// channels that are zero.
type convOp struct {
	in, out int
	ci, co  int
	taps    []graph.Offset // of the live taps, in order
	plan    *kernels.ConvPlan
	wd      []float32   // the weight packed by plan.PackDirect; nil: GemmAcc
	wt      [][]float32 // per tap, (ci, co) for GemmAcc (also past int32 offsets)
	bias    []float32   // (co), nil without bias
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
	first, minOff := true, 0
	var live []int // the taps that can fall inside the image
	for _, t := range c.Taps {
		off := c.Offset(t)
		if off.Dy <= -pl.h || off.Dy >= pl.h || off.Dx <= -pl.w || off.Dx >= pl.w {
			continue // never inside the image: reads padding only
		}
		live = append(live, t)
		cop.taps = append(cop.taps, off)
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
	// ForwardRows takes its inputs' places from the table, not from the
	// plan's image: a 1×1 image (the pads of an aligned conv cover its
	// kernel) keeps the plan small for any image size.
	kp, err := kernels.NewConvPlan(kernels.ConvParams{In: c.C, Out: c.O, KH: c.KH, KW: c.KW, H: 1, W: 1,
		Dilation: c.Dilation, Pads: c.Pads, Taps: live})
	if err != nil {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: err.Error()}
	}
	if kernels.HasDirect() {
		cop.plan, cop.wd = kp, kp.PackDirect(nil, c.W.F32)
	}
	kk := c.KH * c.KW
	for _, t := range live {
		w := make([]float32, c.C*c.O)
		for o := 0; o < c.O; o++ {
			for i := 0; i < c.C; i++ {
				w[i*c.O+o] = c.W.F32[(o*c.C+i)*kk+t]
			}
		}
		cop.wt = append(cop.wt, w)
	}
	x.reads = append(x.reads, [2]int{out.shift, minOff})
	s := newSlot(l.Out, c.O)
	s.shift, s.cause = out.shift, out.cause
	cop.out = s.slot
	return cop, s, nil
}

func (c *convOp) apply(s *state, p int) {
	if c.wd == nil || len(s.bufs[c.in]) > math.MaxInt32 { // the table's offsets are int32
		c.applyGemmAcc(s, p)
		return
	}
	n, ldo := s.n, s.n+5 // ForwardRows reads 5 table entries past the rows
	s.offs = slices.Grow(s.offs[:0], len(c.taps)*ldo)[:len(c.taps)*ldo]
	y, x := p/s.pl.w, p%s.pl.w
	ring, m := s.pl.ring[c.in], n*c.ci
	for t, off := range c.taps {
		row := s.offs[t*ldo : (t+1)*ldo]
		yy, xx := y+off.Dy, x+off.Dx
		base := -1 // padding
		if yy >= 0 && yy < s.pl.h && xx >= 0 && xx < s.pl.w {
			base = (yy*s.pl.w + xx) % ring * m // the position in the slot's ring (state.at)
		}
		for r := range row {
			row[r] = -1
			if base >= 0 && r < n {
				row[r] = int32(base + r*c.ci)
			}
		}
	}
	c.plan.ForwardRows(&s.ws, s.at(c.out, p), c.co, s.bufs[c.in], s.offs, ldo, n, c.wd, c.bias, kernels.Fuse{})
}

// applyGemmAcc is apply without a direct kernel: bias, then tap by tap.
func (c *convOp) applyGemmAcc(s *state, p int) {
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
	for t, off := range c.taps {
		yy, xx := y+off.Dy, x+off.Dx
		if yy < 0 || yy >= s.pl.h || xx < 0 || xx >= s.pl.w {
			continue
		}
		kernels.GemmAcc(dst, s.at(c.in, yy*s.pl.w+xx), c.wt[t], n, c.ci, c.co)
	}
}
