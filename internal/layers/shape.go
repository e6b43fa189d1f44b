package layers

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Shapes returns the image shape (C,H,W) of every value, by id, for input
// images of shape in. It fails, naming the node, where a layer does not
// apply to that size: a conv kernel wider than its padded input, operands
// of different shapes, a constant that does not broadcast.
func (p *Plan) Shapes(in [3]int) ([][3]int, error) {
	if p.Input < 0 {
		return nil, fmt.Errorf("layers: the plan has no image input")
	}
	if in[0] != p.Values[p.Input].C {
		return nil, fmt.Errorf("input %s has %d channels, the plan %d", p.Values[p.Input].V.Name, in[0], p.Values[p.Input].C)
	}
	if p.CropSize != [2]int{} && [2]int{in[1], in[2]} != p.CropSize {
		return nil, fmt.Errorf("layers: the plan's crops are resolved for %dx%d images, not %dx%d", p.CropSize[0], p.CropSize[1], in[1], in[2])
	}
	s := make([][3]int, len(p.Values))
	s[p.Input] = in
	for _, l := range p.Layers {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("node %s (%s): %s", l.Node.Name, l.Node.Op, fmt.Sprintf(format, args...))
		}
		var out [3]int
		switch l.Kind {
		case Conv:
			x := s[l.In[0]]
			oh, ow, err := l.Conv.OutSize(x[1], x[2])
			if err != nil {
				return nil, fail("%v", err)
			}
			out = [3]int{l.Conv.O, oh, ow}
			if l.Residual >= 0 && s[l.Residual] != out {
				return nil, fail("residual %s is %v, the conv's output %v", p.Values[l.Residual].V.Name, s[l.Residual], out)
			}
		case Binary:
			if l.Const != nil {
				x := l.In[0]
				if x < 0 {
					x = l.In[1]
				}
				out = s[x]
				if err := broadcasts(l.Const.Shape, out[0], out[1], out[2]); err != nil {
					return nil, fail("%v", err)
				}
				break
			}
			fallthrough
		case Gate:
			out = s[l.In[0]]
			if l.Halves {
				out[0] /= 2
				break
			}
			if s[l.In[1]] != out {
				return nil, fail("operands %v and %v differ", out, s[l.In[1]])
			}
		case Slice:
			out = s[l.In[0]]
			out[0] = l.Slice[1] - l.Slice[0]
		default:
			out = s[l.In[0]]
		}
		s[l.Out] = out
		if l.AlsoRelu >= 0 {
			s[l.AlsoRelu] = out
		}
	}
	return s, nil
}

// Expand returns a Binary layer's constant broadcast to one (c,h,w) image,
// NCHW: what the engines read as the constant operand.
func Expand(t *graph.Tensor, c, h, w int) []float32 {
	s := padShape(t.Shape, 4)
	st := bstrides(s, []int{1, c, h, w})
	out := make([]float32, c*h*w)
	for ch := range c {
		for y := range h {
			for x := range w {
				out[(ch*h+y)*w+x] = t.F32[ch*st[1]+y*st[2]+x*st[3]]
			}
		}
	}
	return out
}

// padShape left-pads s with 1s to rank r.
func padShape(s []int, r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = 1
	}
	copy(p[r-len(s):], s)
	return p
}

// bstrides returns the row-major strides of shape s (already padded to the
// rank of out), with 0 for broadcast dimensions.
func bstrides(s, out []int) []int {
	st := make([]int, len(s))
	acc := 1
	for d := len(s) - 1; d >= 0; d-- {
		if s[d] == 1 && out[d] != 1 {
			st[d] = 0
		} else {
			st[d] = acc
		}
		acc *= s[d]
	}
	return st
}
