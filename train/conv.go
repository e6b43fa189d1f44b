package train

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convAttrs are the attributes of an ONNX Conv the lowering understands.
type convAttrs struct {
	kernel, pads, strides, dilations []int
}

// parseConv reads and checks a Conv node's attributes against its weight
// (O,C,kh,kw): group 1, symmetric pads, explicit (or default) everything.
func parseConv(n *graph.Node, wShape []int) (convAttrs, error) {
	a := convAttrs{kernel: wShape[2:4], pads: []int{0, 0, 0, 0}, strides: []int{1, 1}, dilations: []int{1, 1}}
	bad := func(format string, args ...any) error {
		return &UnsupportedError{n.Name, n.Op, fmt.Sprintf(format, args...)}
	}
	ints := func(at graph.Attr, want int) ([]int, error) {
		if at.Type != graph.AttrInts || len(at.Ints) != want {
			return nil, bad("attribute %s: want %d ints, got %v %v", at.Name, want, at.Type, at.Ints)
		}
		r := make([]int, want)
		for i, v := range at.Ints {
			r[i] = int(v)
		}
		return r, nil
	}
	for _, at := range n.Attrs {
		var err error
		switch at.Name {
		case "group":
			if at.Type != graph.AttrInt || at.I != 1 {
				return a, bad("group %d is not supported (only 1)", at.I)
			}
		case "kernel_shape":
			var k []int
			if k, err = ints(at, 2); err == nil && (k[0] != wShape[2] || k[1] != wShape[3]) {
				err = bad("kernel_shape %v does not match weight %v", k, wShape)
			}
		case "pads":
			a.pads, err = ints(at, 4)
		case "strides":
			a.strides, err = ints(at, 2)
		case "dilations":
			a.dilations, err = ints(at, 2)
		case "auto_pad":
			if at.Type != graph.AttrString || at.S != "NOTSET" {
				err = bad("auto_pad %q is not supported (explicit pads only)", at.S)
			}
		default:
			err = bad("unknown attribute %s", at.Name)
		}
		if err != nil {
			return a, err
		}
	}
	if a.pads[0] != a.pads[2] || a.pads[1] != a.pads[3] {
		return a, bad("asymmetric pads %v are not supported", a.pads)
	}
	for _, v := range append(append([]int(nil), a.strides...), a.dilations...) {
		if v <= 0 {
			return a, bad("strides %v and dilations %v must be > 0", a.strides, a.dilations)
		}
	}
	return a, nil
}

// lowerConv: y = conv(x, W ⊙ M) + B for x (N,C,H,W), W (O,C,kh,kw), B (O).
// M is graph.Mask of W's mask kind, a constant, so ∂loss/∂W is exactly 0 at
// every masked tap.
func (l *lowered) lowerConv(n *graph.Node, ins []*G.Node) (*G.Node, error) {
	if err := checkArity(n, ins, 2, 3); err != nil {
		return nil, err
	}
	x, w := ins[0], ins[1]
	wv := n.Inputs[1]
	ws := w.Shape()
	if ws.Dims() != 4 || x.Shape().Dims() != 4 || ws[1] != x.Shape()[1] {
		return nil, &UnsupportedError{n.Name, n.Op, fmt.Sprintf("input %v and weight %v do not fit (N,C,H,W) and (O,C,kh,kw)", x.Shape(), ws)}
	}
	a, err := parseConv(n, ws)
	if err != nil {
		return nil, err
	}
	var b *G.Node
	if len(ins) == 3 && ins[2] != nil {
		b = ins[2]
		if b.Shape().Dims() != 1 || b.Shape()[0] != ws[0] {
			return nil, &UnsupportedError{n.Name, n.Op, fmt.Sprintf("bias %v does not match %d output channels", b.Shape(), ws[0])}
		}
	}
	if l.kernels {
		return l.lowerKConv(n, x, w, b, a)
	}
	if wv.Mask != graph.MaskNone {
		if w, err = l.masked(n, wv, w); err != nil {
			return nil, err
		}
	}
	y, err := G.Conv2d(x, w, tensor.Shape(a.kernel), a.pads[:2], a.strides, a.dilations)
	if err != nil {
		return nil, &UnsupportedError{n.Name, n.Op, "gorgonia Conv2d: " + err.Error()}
	}
	if b != nil {
		// B (O) broadcast to (N,O,H',W') along axes 0, 2, 3.
		if y, err = G.BroadcastAdd(y, b, nil, []byte{0, 2, 3}); err != nil {
			return nil, &UnsupportedError{n.Name, n.Op, "bias: " + err.Error()}
		}
	}
	return y, nil
}

// lowerKConv is lowerConv on internal/kernels: one kconv op computing
// conv(reluIn?(x), W ⊙ M) + B, M given by the plan's live taps
// (kernels.LiveTaps of graph.Mask), a Relu feeding x fused when fusedRelus
// found one.
func (l *lowered) lowerKConv(n *graph.Node, x, w, b *G.Node, a convAttrs) (*G.Node, error) {
	wv := n.Inputs[1]
	xs, ws := x.Shape(), w.Shape()
	p := kernels.ConvParams{
		In: ws[1], Out: ws[0], KH: ws[2], KW: ws[3], H: xs[2], W: xs[3],
		Stride:   [2]int{a.strides[0], a.strides[1]},
		Dilation: [2]int{a.dilations[0], a.dilations[1]},
		Pads:     [4]int{a.pads[0], a.pads[1], a.pads[2], a.pads[3]},
	}
	if wv.Mask != graph.MaskNone {
		if p.KH%2 == 0 || p.KW%2 == 0 {
			return nil, &UnsupportedError{n.Name, n.Op, fmt.Sprintf("mask %v needs an odd kernel, got %dx%d", wv.Mask, p.KH, p.KW)}
		}
		p.Taps = kernels.LiveTaps(graph.Mask(wv.Mask, p.KH, p.KW))
	}
	reluIn := l.reluOf[n.Inputs[0]] != nil
	needDx := x != l.input
	children := G.Nodes{x, w}
	if b != nil {
		children = append(children, b)
	}
	k, err := newKConv(n.Name, p, xs[0], reluIn, b != nil, needDx, l.ws)
	if err != nil {
		return nil, &UnsupportedError{n.Name, n.Op, err.Error()}
	}
	// A residual Add of this conv's output and r, r already computed and of
	// the output's shape: fuse it (y = conv + B + r).
	var add *graph.Node
	if fa, ok := l.addOf[n.Outputs[0]]; ok {
		if r := l.values[fa.other]; r != nil && r.Shape().Eq(k.y.shape) {
			children = append(children, r)
			k.resid, add = true, fa.add
		}
	}
	y, err := G.ApplyOp(kconvOp{k, kconvForward}, children...)
	if err != nil {
		return nil, &UnsupportedError{n.Name, n.Op, "kernels conv: " + err.Error()}
	}
	if add != nil {
		l.fusedAdd[add] = y
	}
	l.kconvs = append(l.kconvs, kconvUse{node: y, k: k, x: x, r: children[len(children)-1]})
	return y, nil
}

// kconvUse is a kconv's forward node and its input nodes x and r (the
// residual; meaningful when k.resid).
type kconvUse struct {
	node, x, r *G.Node
	k          *kconv
}

// pairResiduals lets a conv with a fused residual r hand r's gradient to
// the conv that reads r as its x, when those two are r's only readers: the
// latter's gradX op adds it into its dx, so r's two gradient terms are
// summed there (in parallel, one float add per element, as gorgonia's sum
// would) instead of by a gorgonia Add that autodiff would insert, run on
// one thread and give a buffer of its own. In the PixelCNN this is every
// block: h feeds the block's first conv (through a fused Relu) and its
// last conv's residual.
func (l *lowered) pairResiduals() {
	byNode := map[*G.Node]kconvUse{}
	for _, u := range l.kconvs {
		byNode[u.node] = u
	}
	for _, c := range l.kconvs {
		if !c.k.resid || c.r == l.output || c.r == l.input {
			continue
		}
		var readers []*G.Node
		for it := l.eg.To(c.r.ID()); it.Next(); {
			readers = append(readers, it.Node().(*G.Node))
		}
		if len(readers) != 2 {
			continue
		}
		other := readers[0]
		if other == c.node {
			other = readers[1]
		}
		a, ok := byNode[other]
		if !ok || a.k == c.k || a.x != c.r || (a.k.resid && a.r == c.r) || !a.k.needDx {
			continue
		}
		c.k.residTo = a.k
	}
}

// masked returns W ⊙ M with M (O,C,kh,kw) the mask of wv repeated over O and C.
func (l *lowered) masked(n *graph.Node, wv *graph.Value, w *G.Node) (*G.Node, error) {
	ws := w.Shape()
	kh, kw := ws[2], ws[3]
	if kh%2 == 0 || kw%2 == 0 {
		return nil, &UnsupportedError{n.Name, n.Op, fmt.Sprintf("mask %v needs an odd kernel, got %dx%d", wv.Mask, kh, kw)}
	}
	m := graph.Mask(wv.Mask, kh, kw)
	mt := tensor.New(tensor.Of(l.dt), tensor.WithShape(ws...))
	full := make([]float32, ws.TotalSize())
	for i := range full {
		full[i] = m[i%len(m)]
	}
	copyIn(mt, full)
	M := G.NewConstant(mt, G.WithName(wv.Name+"/mask"))
	return G.HadamardProd(w, M)
}
