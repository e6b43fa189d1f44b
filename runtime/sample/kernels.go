package sample

import "github.com/pixelgraph/pixelgraph/internal/kernels"

// gemmAccGo adds src·w to dst for output channels j0..co−1 of n images:
// dst is (n, co), src is (n, ci), w is (ci, co). Images go in blocks of four
// so that each weight row is loaded once per block; an input channel that
// is zero in the whole block (a ReLU output, a black pixel) is skipped.
func gemmAccGo(dst, src, w []float32, n, ci, co, j0 int) {
	i := 0
	for ; i+4 <= n; i += 4 {
		d0 := dst[(i+0)*co+j0 : (i+1)*co]
		d1 := dst[(i+1)*co+j0 : (i+2)*co]
		d2 := dst[(i+2)*co+j0 : (i+3)*co]
		d3 := dst[(i+3)*co+j0 : (i+4)*co]
		s0 := src[(i+0)*ci : (i+1)*ci]
		s1 := src[(i+1)*ci : (i+2)*ci]
		s2 := src[(i+2)*ci : (i+3)*ci]
		s3 := src[(i+3)*ci : (i+4)*ci]
		for k := 0; k < ci; k++ {
			a0, a1, a2, a3 := s0[k], s1[k], s2[k], s3[k]
			if a0 == 0 && a1 == 0 && a2 == 0 && a3 == 0 {
				continue
			}
			wk := w[k*co+j0 : (k+1)*co]
			d0, d1, d2, d3 := d0[:len(wk)], d1[:len(wk)], d2[:len(wk)], d3[:len(wk)]
			for j, v := range wk {
				d0[j] += a0 * v
				d1[j] += a1 * v
				d2[j] += a2 * v
				d3[j] += a3 * v
			}
		}
	}
	for ; i < n; i++ {
		d := dst[i*co+j0 : (i+1)*co]
		s := src[i*ci : (i+1)*ci]
		for k, a := range s {
			if a == 0 {
				continue
			}
			wk := w[k*co+j0 : (k+1)*co]
			d := d[:len(wk)]
			for j, v := range wk {
				d[j] += a * v
			}
		}
	}
}

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
		for i, v := range src {
			dst[i] = max(v, 0)
		}
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

// gateOp is the gated activation tanh(a)·σ(b) (kernels.Gate).
type gateOp struct {
	a, b, out int
}

func (g *gateOp) apply(s *state, p int) {
	kernels.Gate(s.at(g.out, p), s.at(g.a, p), s.at(g.b, p))
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
			for i := range dst {
				dst[i] = a[i] + b[i]
			}
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
