package layers

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// ConvSpec is a Conv layer: a 2-D float32 convolution with constant
// weights, group 1, explicit pads.
//
//	x (N,C,H,W), W (O,C,KH,KW), B (O) → y (N,O,OH,OW)
type ConvSpec struct {
	// W and B are the weight and bias data (B nil when absent); WV and BV
	// the graph values holding them (initializers, or values folded from
	// initializers: a mask applied at run time by Mul(W, M)).
	W, B   *graph.Tensor
	WV, BV *graph.Value
	// Mask is W's mask kind (MaskNone for a weight without one).
	Mask graph.MaskKind

	O, C, KH, KW int
	Stride       [2]int // (rows, columns)
	Dilation     [2]int
	Pads         [4]int // top, left, bottom, right (ONNX's begin/end order)
	// Taps are the live taps (ky·KW+kx, increasing): see Taps.
	Taps []int
	// Crop, when set, says that the conv computes a crop of WV's conv (a
	// Slice merged into it: slice.go): W is WV's kernel grown by zero rows
	// or columns and the pads are shifted, so W is not WV's data.
	Crop string
	// Pad lists the zero Pad nodes merged into Pads.
	Pad []*graph.Node
}

// Taps returns the live taps (ky·kw+kx, increasing) of a conv weight w
// (O,C,kh,kw): the taps every engine multiplies and training updates, the
// others being exactly 0 and staying so. It is the one place that decides
// them:
//   - a masked weight (graph.MaskA, MaskB): the taps its mask keeps
//     (graph.Mask), whatever the weights hold, so that a kept tap that is 0
//     now still gets a gradient;
//   - any other weight: its zero pattern, the taps where some (o, c) weight
//     is non-zero: the mask of an imported file (torch.onnx folds the mask
//     into the weight), recovered;
//   - a weight with no non-zero tap at all is a zero-initialised layer, not
//     a mask hiding everything: every tap is live.
func Taps(w *graph.Tensor, mask graph.MaskKind) []int {
	kh, kw := w.Shape[2], w.Shape[3]
	kk := kh * kw
	live := make([]bool, kk)
	if mask != graph.MaskNone && kh%2 == 1 && kw%2 == 1 {
		for t, m := range graph.Mask(mask, kh, kw) {
			live[t] = m != 0
		}
	} else {
		for i, v := range w.F32 {
			if v != 0 {
				live[i%kk] = true
			}
		}
	}
	taps := make([]int, 0, kk)
	for t, l := range live {
		if l {
			taps = append(taps, t)
		}
	}
	if len(taps) == 0 {
		for t := range kk {
			taps = append(taps, t)
		}
	}
	return taps
}

// Offset returns tap t's input position relative to the output pixel, for a
// stride-1 conv: (ky·dh − top pad, kx·dw − left pad).
func (c *ConvSpec) Offset(t int) graph.Offset {
	return graph.Offset{Dy: t/c.KW*c.Dilation[0] - c.Pads[0], Dx: t%c.KW*c.Dilation[1] - c.Pads[1]}
}

// OutSize returns the output height and width for an h×w input (ONNX's
// Conv: floor((h + pads − span) / stride) + 1), or an error naming the
// kernel when it spans more than the padded input.
func (c *ConvSpec) OutSize(h, w int) (int, int, error) {
	spanH := c.Dilation[0]*(c.KH-1) + 1
	spanW := c.Dilation[1]*(c.KW-1) + 1
	ph, pw := h+c.Pads[0]+c.Pads[2], w+c.Pads[1]+c.Pads[3]
	if ph < spanH || pw < spanW {
		return 0, 0, fmt.Errorf("kernel spans %dx%d, more than the padded input %dx%d", spanH, spanW, ph, pw)
	}
	return (ph-spanH)/c.Stride[0] + 1, (pw-spanW)/c.Stride[1] + 1, nil
}

// Aligned reports whether the output pixel (y,x) is computed at input
// position (y,x) for every input size: stride 1 and pads that keep the
// size. Only then do offsets, reaches and the cached sampler apply.
func (c *ConvSpec) Aligned() bool {
	return c.Stride == [2]int{1, 1} &&
		c.Pads[0]+c.Pads[2] == c.Dilation[0]*(c.KH-1) && c.Pads[1]+c.Pads[3] == c.Dilation[1]*(c.KW-1)
}

// conv classes a Conv node: x a plan value, W a constant float32 (O,C,kh,kw)
// with C = x's channels, B absent or a constant float32 (O), group 1, 2-D,
// explicit pads (auto_pad NOTSET or VALID). Anything else is not a layer,
// with the reason.
func (b *builder) conv(n *graph.Node) (*Layer, string) {
	if len(n.Inputs) < 2 || n.Inputs[1] == nil {
		return nil, "needs X and W"
	}
	x, ok := b.activation(n.Inputs[0])
	pad := b.pads[n.Inputs[0]]
	if pad != nil {
		x, ok = pad.x, true
	}
	if !ok {
		return nil, fmt.Sprintf("input %s is not a layer value", n.Inputs[0].Name)
	}
	w := b.p.Consts[n.Inputs[1]]
	if w == nil || w.DType != graph.Float32 || len(w.Shape) != 4 {
		return nil, fmt.Sprintf("weight %s is not a constant float32 (O,C,kh,kw) tensor (after folding: runtime.Fold)", n.Inputs[1].Name)
	}
	s := &ConvSpec{W: w, WV: n.Inputs[1], Mask: n.Inputs[1].Mask,
		O: w.Shape[0], C: w.Shape[1], KH: w.Shape[2], KW: w.Shape[3],
		Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}}
	if s.O == 0 || s.C == 0 || s.KH == 0 || s.KW == 0 {
		return nil, fmt.Sprintf("weight %s %v is empty", s.WV.Name, w.Shape)
	}
	if c := b.p.Values[x].C; c != s.C {
		return nil, fmt.Sprintf("weight %s %v wants %d input channels, %s has %d", s.WV.Name, w.Shape, s.C, n.Inputs[0].Name, c)
	}
	if len(n.Inputs) > 2 && n.Inputs[2] != nil {
		bias := b.p.Consts[n.Inputs[2]]
		if bias == nil || bias.DType != graph.Float32 || len(bias.Shape) != 1 || bias.Shape[0] != s.O {
			return nil, fmt.Sprintf("bias %s is not a constant float32 (%d) tensor", n.Inputs[2].Name, s.O)
		}
		s.B, s.BV = bias, n.Inputs[2]
	}
	pair := func(a graph.Attr, dst *[2]int, min int64) string {
		if a.Type != graph.AttrInts || len(a.Ints) != 2 || a.Ints[0] < min || a.Ints[1] < min {
			return fmt.Sprintf("attribute %s %v: want two values >= %d", a.Name, a.Ints, min)
		}
		dst[0], dst[1] = int(a.Ints[0]), int(a.Ints[1])
		return ""
	}
	for _, a := range n.Attrs {
		why := ""
		switch a.Name {
		case "group":
			if a.Type != graph.AttrInt || a.I != 1 {
				why = fmt.Sprintf("group %d (layers are group 1)", a.I)
			}
		case "kernel_shape":
			if a.Type != graph.AttrInts || len(a.Ints) != 2 || int(a.Ints[0]) != s.KH || int(a.Ints[1]) != s.KW {
				why = fmt.Sprintf("kernel_shape %v does not match weight %v", a.Ints, w.Shape)
			}
		case "strides":
			why = pair(a, &s.Stride, 1)
		case "dilations":
			why = pair(a, &s.Dilation, 1)
		case "pads":
			if a.Type != graph.AttrInts || len(a.Ints) != 4 {
				why = fmt.Sprintf("pads %v: want 4 values", a.Ints)
				break
			}
			for i, v := range a.Ints {
				if v < 0 {
					why = fmt.Sprintf("pads %v: negative", a.Ints)
				}
				s.Pads[i] = int(v)
			}
		case "auto_pad":
			if a.Type != graph.AttrString || (a.S != "NOTSET" && a.S != "VALID" && a.S != "") {
				why = fmt.Sprintf("auto_pad %s (layers take explicit pads)", a.S)
			}
		default:
			why = "unknown attribute " + a.Name
		}
		if why != "" {
			return nil, why
		}
	}
	l := &Layer{Kind: Conv, Op: "Conv", In: []int{x}, Conv: s}
	if pad != nil {
		for i, p := range pad.pads {
			s.Pads[i] += p
		}
		s.Pad = []*graph.Node{pad.node}
		l.Fused = []*graph.Node{pad.node}
		b.why[pad.node] = padReason
	}
	s.Taps = Taps(w, s.Mask)
	return l, ""
}
