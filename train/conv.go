package train

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lowerConv: y = conv(x, W ⊙ M) + B [+ r] for x (N,C,H,W), W (O,C,kh,kw),
// B (O), M the plan's live taps (layers.Taps: the mask's, or the zero
// pattern of an imported weight), so ∂loss/∂W is exactly 0 at every dead
// tap; r the residual of a fused Add.
func (l *lowered) lowerConv(i int, ly *layers.Layer) (*G.Node, error) {
	s := ly.Conv
	x, w := l.vals[ly.In[0]], l.nodes[s.WV]
	var b *G.Node
	if s.BV != nil {
		b = l.nodes[s.BV]
	}
	if l.kernels {
		return l.lowerKConv(i, ly, x, w, b)
	}
	if s.Pads[0] != s.Pads[2] || s.Pads[1] != s.Pads[3] {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, fmt.Sprintf("asymmetric pads %v (gorgonia's Conv2d pads symmetrically)", s.Pads)}
	}
	if ly.ReluIn || ly.Residual >= 0 {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, "fused layer on gorgonia's convs (a bug: trainFusions)"}
	}
	if len(s.Taps) < s.KH*s.KW {
		var err error
		if w, err = l.masked(ly, w); err != nil {
			return nil, err
		}
	}
	y, err := G.Conv2d(x, w, tensor.Shape{s.KH, s.KW}, s.Pads[:2], s.Stride[:], s.Dilation[:])
	if err != nil {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, "gorgonia Conv2d: " + err.Error()}
	}
	if b != nil {
		// B (O) broadcast to (N,O,H',W') along axes 0, 2, 3.
		if y, err = G.BroadcastAdd(y, b, nil, []byte{0, 2, 3}); err != nil {
			return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, "bias: " + err.Error()}
		}
	}
	return y, nil
}

// lowerKConv is lowerConv on internal/kernels: one kconv op computing
// conv(reluIn?(x), W ⊙ M) + B [+ r], M given by the plan's live taps.
func (l *lowered) lowerKConv(i int, ly *layers.Layer, x, w, b *G.Node) (*G.Node, error) {
	s := ly.Conv
	xs := x.Shape()
	p := kernels.ConvParams{
		In: s.C, Out: s.O, KH: s.KH, KW: s.KW, H: xs[2], W: xs[3],
		Stride: s.Stride, Dilation: s.Dilation, Pads: s.Pads, Taps: s.Taps,
	}
	children := G.Nodes{x, w}
	if b != nil {
		children = append(children, b)
	}
	k, err := newKConv(ly.Node.Name, p, xs[0], ly.ReluIn, b != nil, x != l.input, l.ws)
	if err != nil {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, err.Error()}
	}
	if ly.Residual >= 0 {
		r := l.vals[ly.Residual]
		if !r.Shape().Eq(k.y.shape) {
			return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, fmt.Sprintf("residual %v does not match the output %v", r.Shape(), k.y.shape)}
		}
		children = append(children, r)
		k.resid = true
	}
	y, err := G.ApplyOp(kconvOp{k, kconvForward}, children...)
	if err != nil {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, "kernels conv: " + err.Error()}
	}
	l.kconvs[i] = &kconvUse{node: y, k: k, layer: ly}
	return y, nil
}

// kconvUse is a kconv's forward node and its layer.
type kconvUse struct {
	node  *G.Node
	k     *kconv
	layer *layers.Layer
}

// pairResiduals lets a conv with a fused residual r hand r's gradient to
// the conv that reads r as its x, when the plan says those two are r's only
// readers: the latter's gradX op adds it into its dx, so r's two gradient
// terms are summed there (in parallel, one float add per element, as
// gorgonia's sum would) instead of by a gorgonia Add that autodiff would
// insert, run on one thread and give a buffer of its own. In the PixelCNN
// this is every block: h feeds the block's first conv (through a fused
// Relu) and its last conv's residual.
func (l *lowered) pairResiduals() {
	for _, c := range l.kconvs {
		h := c.layer.Residual
		if h < 0 || h == l.plan.Input || l.plan.Values[h].Output {
			continue
		}
		rd := l.plan.Values[h].Readers
		if len(rd) != 2 {
			continue
		}
		a, ok := l.kconvs[rd[0]]
		if a == c {
			a, ok = l.kconvs[rd[1]]
		}
		if !ok || a == c || a.layer.In[0] != h || a.layer.Residual == h || !a.k.needDx {
			continue
		}
		c.k.residTo = a.k
	}
}

// masked returns W ⊙ M with M (O,C,kh,kw) 1 at the layer's live taps.
func (l *lowered) masked(ly *layers.Layer, w *G.Node) (*G.Node, error) {
	s := ly.Conv
	kk := s.KH * s.KW
	live := make([]float32, kk)
	for _, t := range s.Taps {
		live[t] = 1
	}
	ws := w.Shape()
	mt := tensor.New(tensor.Of(l.dt), tensor.WithShape(ws...))
	full := make([]float32, ws.TotalSize())
	for i := range full {
		full[i] = live[i%kk]
	}
	copyIn(mt, full)
	M := G.NewConstant(mt, G.WithName(s.WV.Name+"/mask"))
	return G.HadamardProd(w, M)
}
