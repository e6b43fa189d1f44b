package sample

import (
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// unaryOp is a pointwise op: Relu, Sigmoid, Tanh or Identity.
type unaryOp struct {
	kind    string
	in, out int
	c       int
}

func (u *unaryOp) apply(s *state, p int) {
	src, dst := s.at(u.in, p), s.at(u.out, p)
	switch u.kind {
	case "Relu":
		kernels.Relu(dst, src) // SIMD: the same max(v, 0) per element
	case "Sigmoid":
		for i, v := range src {
			dst[i] = kernels.Sigmoid(v)
		}
	case "Tanh":
		for i, v := range src {
			dst[i] = kernels.Tanh(v)
		}
	default:
		copy(dst, src)
	}
}

// gateOp is the gated activation tanh(a)·σ(b) (kernels.Gate) of c
// channels; b < 0: a holds both halves (2c channels per image).
type gateOp struct {
	a, b, out int
	c         int
}

func (g *gateOp) apply(s *state, p int) {
	if g.b >= 0 {
		kernels.Gate(s.at(g.out, p), s.at(g.a, p), s.at(g.b, p))
		return
	}
	dst, src, c := s.at(g.out, p), s.at(g.a, p), g.c
	for i := range s.n {
		kernels.Gate(dst[i*c:(i+1)*c], src[2*i*c:(2*i+1)*c], src[(2*i+1)*c:(2*i+2)*c])
	}
}

// sliceOp copies channels [lo, hi) of cin.
type sliceOp struct {
	in, out     int
	cin, lo, hi int
}

func (o *sliceOp) apply(s *state, p int) {
	dst, src, c := s.at(o.out, p), s.at(o.in, p), o.hi-o.lo
	for i := range s.n {
		copy(dst[i*c:(i+1)*c], src[i*o.cin+o.lo:i*o.cin+o.hi])
	}
}

// embedOp adds each image's row of the table: y = x + T[label].
type embedOp struct {
	in, out int
	e       *layers.EmbedSpec
}

func (o *embedOp) apply(s *state, p int) {
	dst, src, c := s.at(o.out, p), s.at(o.in, p), o.e.C
	for i := range s.n {
		row, _ := o.e.Row(s.labels[o.e.Cond][i]) // checked by newState's caller
		d, x := dst[i*c:(i+1)*c], src[i*c:(i+1)*c]
		for k, r := range row {
			d[k] = x[k] + r
		}
	}
}

// operand is one input of a binary op: an activation slot with c channels
// (c == 1 broadcasts), or (slot −1) a constant indexed by channel, row and
// column strides (0 where it broadcasts).
type operand struct {
	slot       int
	c          int
	data       []float32
	sc, sy, sx int
}

// binaryOp is Add, Sub, Mul or Div with per-channel (or per-position)
// broadcasting of a constant operand.
type binaryOp struct {
	kind string
	a, b operand
	out  int
	c    int
}

func (o *binaryOp) fetch(s *state, x operand, p, img, ch int) float32 {
	if x.slot < 0 {
		return x.data[ch*x.sc+(p/s.pl.w)*x.sy+(p%s.pl.w)*x.sx]
	}
	if x.c == 1 {
		ch = 0
	}
	return s.at(x.slot, p)[img*x.c+ch]
}

func (o *binaryOp) apply(s *state, p int) {
	dst := s.at(o.out, p)
	if o.a.slot >= 0 && o.b.slot >= 0 && o.a.c == o.c && o.b.c == o.c {
		a, b := s.at(o.a.slot, p), s.at(o.b.slot, p)
		a, b = a[:len(dst)], b[:len(dst)]
		switch o.kind {
		case "Add":
			kernels.Add(dst, a, b) // SIMD: the same a + b per element
			return
		case "Mul":
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
			return
		}
	}
	for img := 0; img < s.n; img++ {
		for ch := 0; ch < o.c; ch++ {
			a, b := o.fetch(s, o.a, p, img, ch), o.fetch(s, o.b, p, img, ch)
			var r float32
			switch o.kind {
			case "Add":
				r = a + b
			case "Sub":
				r = a - b
			case "Mul":
				r = a * b
			default:
				r = a / b
			}
			dst[img*o.c+ch] = r
		}
	}
}
