package sample

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
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

// conv compiles a Conv node and checks its taps for causality: a tap may
// read a position before the output pixel, or the pixel itself; reading the
// pixel itself of a value that already depends on input pixel p (the input,
// or a layer that saw it) makes the output depend on it too.
func (pl *plan) conv(n *graph.Node, info map[*graph.Value]*vinfo, consts map[*graph.Value]*graph.Tensor,
	newSlot func(*graph.Value, int) *vinfo) (op, *vinfo, error) {
	unsup := func(format string, args ...any) (op, *vinfo, error) {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf(format, args...)}
	}
	if len(n.Inputs) < 2 || n.Inputs[0] == nil || n.Inputs[1] == nil {
		return unsup("needs X and W")
	}
	x := info[n.Inputs[0]]
	if x == nil {
		return unsup("input %s is not an activation", n.Inputs[0].Name)
	}
	w := consts[n.Inputs[1]]
	if w == nil || w.DType != graph.Float32 || len(w.Shape) != 4 {
		return unsup("weight %s is not a constant float32 (O,C,kh,kw) tensor", n.Inputs[1].Name)
	}
	co, ci, kh, kw := w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]
	var bias []float32
	if len(n.Inputs) > 2 && n.Inputs[2] != nil {
		b := consts[n.Inputs[2]]
		if b == nil || b.DType != graph.Float32 || len(b.F32) != co {
			return unsup("bias %s is not a constant float32 (%d) tensor", n.Inputs[2].Name, co)
		}
		bias = b.F32
	}
	for _, a := range n.Attrs {
		switch a.Name {
		case "group":
			if a.I != 1 {
				return unsup("group %d; only group 1 is supported", a.I)
			}
		case "strides":
			for _, s := range a.Ints {
				if s != 1 {
					return unsup("strides %v; only stride 1 keeps positions aligned", a.Ints)
				}
			}
		case "auto_pad":
			if a.S != "NOTSET" && a.S != "" {
				return unsup("auto_pad %s; only explicit pads are supported", a.S)
			}
		case "kernel_shape":
			if len(a.Ints) != 2 || int(a.Ints[0]) != kh || int(a.Ints[1]) != kw {
				return unsup("kernel_shape %v does not match weight %v", a.Ints, w.Shape)
			}
		case "pads", "dilations":
		default:
			return unsup("unknown attribute %s", a.Name)
		}
	}
	if ci != x.c {
		return unsup("weight %v wants %d input channels, %s has %d", w.Shape, ci, n.Inputs[0].Name, x.c)
	}
	dh, dw := 1, 1
	if d := n.IntsAttr("dilations"); len(d) == 2 {
		dh, dw = int(d[0]), int(d[1])
	}
	var pads [4]int
	if p := n.IntsAttr("pads"); len(p) == 4 {
		for i := range pads {
			pads[i] = int(p[i])
		}
	}
	oh := pl.h + pads[0] + pads[2] - dh*(kh-1)
	ow := pl.w + pads[1] + pads[3] - dw*(kw-1)
	if oh != pl.h || ow != pl.w {
		return unsup("output is %dx%d, input %dx%d; only size-preserving pads are supported", oh, ow, pl.h, pl.w)
	}
	out := &vinfo{c: co}
	cop := &convOp{in: x.slot, ci: ci, co: co, bias: bias}
	taps := kh * kw
	for t := 0; t < taps; t++ {
		r, c := t/kw, t%kw
		off := graph.Offset{Dy: r*dh - pads[0], Dx: c*dw - pads[1]}
		if off.Dy <= -pl.h || off.Dy >= pl.h || off.Dx <= -pl.w || off.Dx >= pl.w {
			continue // never inside the image: reads padding only
		}
		packed := make([]float32, ci*co)
		live := false
		for o := 0; o < co; o++ {
			for i := 0; i < ci; i++ {
				v := w.F32[(o*ci+i)*taps+t]
				if v != 0 {
					live = true
				}
				packed[i*co+o] = v
			}
		}
		if !live {
			continue
		}
		cerr := func(reason string) *CausalityError {
			return &CausalityError{Node: n.Name, Op: n.Op, Input: n.Inputs[0].Name, Row: r, Col: c, Offset: off, Reason: reason}
		}
		switch {
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
		pl.ring[x.slot] = max(pl.ring[x.slot], 1-(off.Dy*pl.w+off.Dx))
		cop.taps = append(cop.taps, convTap{off: off, w: packed})
	}
	s := newSlot(n.Outputs[0], co)
	s.own, s.cause = out.own, out.cause
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
		gemmAcc(dst, s.at(c.in, q), t.w, n, c.ci, c.co)
	}
}
