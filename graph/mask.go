package graph

import (
	"fmt"
	"strings"
)

// MaskKind is the causal mask of a PixelCNN convolution.
type MaskKind int

const (
	// MaskNone leaves every tap of the kernel live.
	MaskNone MaskKind = iota
	// MaskA hides the centre tap and every later tap in raster order: the
	// first layer, so a pixel never sees itself.
	MaskA
	// MaskB hides every tap after the centre; the centre is allowed.
	MaskB
	// MaskVA keeps the rows above the centre row (every column): the first
	// layer of a Gated PixelCNN's vertical stack, whose output at row i then
	// depends on input rows < i only.
	MaskVA
	// MaskVB keeps the rows up to and including the centre row: the later
	// layers of the vertical stack (a row still sees only rows above it in
	// the image, through the stack below).
	MaskVB
	// MaskHA keeps the centre row's taps left of the centre: the first layer
	// of the horizontal stack (a 1×k kernel), which never sees its own pixel.
	MaskHA
	// MaskHB keeps the centre row up to and including the centre: the later
	// layers of the horizontal stack.
	MaskHB
)

var maskNames = [...]string{MaskNone: "none", MaskA: "A", MaskB: "B", MaskVA: "VA", MaskVB: "VB", MaskHA: "HA", MaskHB: "HB"}

func (m MaskKind) String() string {
	if m >= 0 && int(m) < len(maskNames) {
		return maskNames[m]
	}
	return fmt.Sprintf("mask(%d)", int(m))
}

// Valid reports whether m is one of the kinds above.
func (m MaskKind) Valid() bool { return m >= 0 && int(m) < len(maskNames) }

// ParseMaskKind is the inverse of MaskKind.String.
func ParseMaskKind(s string) (MaskKind, error) {
	if s == "" {
		return MaskNone, nil
	}
	for k, n := range maskNames {
		if n == s {
			return MaskKind(k), nil
		}
	}
	return MaskNone, fmt.Errorf("unknown mask kind %q (want A, B, VA, VB, HA, HB or none)", s)
}

// Mask returns the kh×kw grid (row-major, 1 = live, 0 = hidden) of a mask.
// It is the only code that knows the mask geometry. Kernels must have odd
// sizes so that they have a centre; Mask panics otherwise (the builder
// reports that as an error first).
//
// In raster order a tap (r, c) lies before the centre (cr, cc) when r < cr,
// or r == cr and c < cc. Mask A keeps those taps; mask B keeps the centre too.
// The Gated PixelCNN's stacks split them: VA keeps the rows r < cr, VB the
// rows r <= cr; HA keeps (cr, c < cc), HB (cr, c <= cc).
func Mask(kind MaskKind, kh, kw int) []float32 {
	m := make([]float32, kh*kw)
	if kind == MaskNone {
		for i := range m {
			m[i] = 1
		}
		return m
	}
	if kh%2 == 0 || kw%2 == 0 {
		panic(fmt.Sprintf("graph.Mask: mask %v needs an odd kernel, got %dx%d", kind, kh, kw))
	}
	cr, cc := kh/2, kw/2
	for r := 0; r < kh; r++ {
		for c := 0; c < kw; c++ {
			var keep bool
			switch kind {
			case MaskA, MaskB:
				keep = r < cr || (r == cr && c < cc) || (kind == MaskB && r == cr && c == cc)
			case MaskVA:
				keep = r < cr
			case MaskVB:
				keep = r <= cr
			case MaskHA:
				keep = r == cr && c < cc
			case MaskHB:
				keep = r == cr && c <= cc
			}
			if keep {
				m[r*kw+c] = 1
			}
		}
	}
	return m
}

// Live returns the number of taps a mask keeps on a kh×kw kernel (odd
// sizes): 0 means the mask hides every tap (mask A on 1×1, VA on a 1×k row).
func Live(kind MaskKind, kh, kw int) int {
	n := 0
	for _, x := range Mask(kind, kh, kw) {
		if x != 0 {
			n++
		}
	}
	return n
}

// MaskGrid draws a mask as text, one row per line: '1' live, '0' hidden.
func MaskGrid(kind MaskKind, kh, kw int) string {
	m := Mask(kind, kh, kw)
	var sb strings.Builder
	for r := 0; r < kh; r++ {
		for c := 0; c < kw; c++ {
			if c > 0 {
				sb.WriteByte(' ')
			}
			if m[r*kw+c] != 0 {
				sb.WriteByte('1')
			} else {
				sb.WriteByte('0')
			}
		}
		sb.WriteByte('\n')
	}
	return sb.String()
}

// kernelDims returns (kh, kw, taps per kernel) of an OIHW weight.
func kernelDims(v *Value) (kh, kw int, ok bool) {
	s := v.Const.Shape
	if len(s) != 4 {
		return 0, 0, false
	}
	return s[2], s[3], true
}

// maskOf returns v's mask grid and kernel width, checking that v is a
// float32 OIHW weight with an odd kernel. For an empty weight it returns a
// nil grid (nothing to mask, and no kh×kw allocation for made-up dims).
func maskOf(v *Value) (m []float32, kw int, err error) {
	kh, kw, ok := kernelDims(v)
	if !ok || v.Const.DType != Float32 {
		return nil, 0, fmt.Errorf("%s: mask %v needs a float32 OIHW weight, got %v", v.Name, v.Mask, v.TypeString())
	}
	if kh%2 == 0 || kw%2 == 0 {
		return nil, 0, fmt.Errorf("%s: mask %v needs an odd kernel, got %dx%d", v.Name, v.Mask, kh, kw)
	}
	if len(v.Const.F32) == 0 {
		return nil, kw, nil
	}
	return Mask(v.Mask, kh, kw), kw, nil
}

// ApplyMask multiplies v's mask into its data, so hidden taps become exactly
// 0 (also turning -0 into +0). It does nothing for MaskNone.
func ApplyMask(v *Value) error {
	if v.Mask == MaskNone {
		return nil
	}
	m, _, err := maskOf(v)
	if err != nil {
		return err
	}
	w := v.Const.F32
	for i := range w {
		if m[i%len(m)] == 0 {
			w[i] = 0
		}
	}
	return nil
}

// MaskTapError reports a masked tap that holds a non-zero weight.
type MaskTapError struct {
	Tensor         string
	Mask           MaskKind
	O, I, Row, Col int
	Value          float32
}

func (e *MaskTapError) Error() string {
	return fmt.Sprintf("%s: mask %v hides tap [%d,%d,%d,%d] (row %d, col %d) but it holds %g",
		e.Tensor, e.Mask, e.O, e.I, e.Row, e.Col, e.Row, e.Col, e.Value)
}

// CheckMask verifies that every tap hidden by v's mask is exactly 0.
func CheckMask(v *Value) error {
	if v.Mask == MaskNone {
		return nil
	}
	m, kw, err := maskOf(v)
	if err != nil {
		return err
	}
	in := v.Const.Shape[1]
	for i, w := range v.Const.F32 {
		tap := i % len(m)
		if m[tap] == 0 && w != 0 {
			oi := i / len(m)
			return &MaskTapError{Tensor: v.Name, Mask: v.Mask, O: oi / in, I: oi % in,
				Row: tap / kw, Col: tap % kw, Value: w}
		}
	}
	return nil
}

// CheckMasks runs CheckMask on every initializer of g.
func CheckMasks(g *Graph) error {
	for _, v := range g.Inits {
		if err := CheckMask(v); err != nil {
			return err
		}
	}
	return nil
}

// RecoverMasks gives the weights of g's Conv nodes whose mask was folded into
// them (torch.onnx writes W ⊙ M as a plain initializer) their mask kind
// back: a weight without one, with an odd kernel of more than one tap,
// whose taps holding a non-zero weight (for some output and input channel)
// are exactly those mask A (or B) keeps, gets MaskA (MaskB). Its hidden
// taps are then zero by construction, and SetConst keeps them so. It
// returns the weights it marked, in node order. Other zero patterns are
// left as they are (the layer plan's live taps still follow them).
func RecoverMasks(g *Graph) []*Value {
	var marked []*Value
	for _, n := range g.Nodes {
		if n.Op != "Conv" || len(n.Inputs) < 2 || !n.Inputs[1].IsConst() {
			continue
		}
		w := n.Inputs[1]
		s := w.Const.Shape
		if w.Mask != MaskNone || w.Const.DType != Float32 || len(s) != 4 || s[2]%2 == 0 || s[3]%2 == 0 || s[2]*s[3] == 1 || len(w.Const.F32) == 0 {
			continue
		}
		kk := s[2] * s[3]
		live := make([]bool, kk)
		for i, x := range w.Const.F32 {
			if x != 0 {
				live[i%kk] = true
			}
		}
		for _, kind := range []MaskKind{MaskA, MaskB} {
			m := Mask(kind, s[2], s[3])
			same := true
			for t := range live {
				if live[t] != (m[t] != 0) {
					same = false
					break
				}
			}
			if same {
				w.Mask = kind
				marked = append(marked, w)
				break
			}
		}
	}
	return marked
}
