package train

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// levelsOf returns q, the number of levels g's logits range over
// (graph.Levels), checking what training needs: one grey image channel and
// logits (N,q,H,W) of the input's H and W.
func levelsOf(g *graph.Graph) (int, error) {
	in, err := graph.ImageInput(g)
	if err != nil {
		return 0, &UnsupportedError{Msg: err.Error()}
	}
	out := g.Outputs[0]
	if in.Shape[1] != 1 {
		return 0, &UnsupportedError{Msg: fmt.Sprintf("input %s has %d channels; training supports grey images (1 channel)", in.Name, in.Shape[1])}
	}
	if len(out.Shape) != 4 || out.Shape[2] != in.Shape[2] || out.Shape[3] != in.Shape[3] {
		return 0, &UnsupportedError{Msg: fmt.Sprintf("output %s is %s; want (N,q,H,W) with the input's H and W", out.Name, out.TypeString())}
	}
	q, err := graph.Levels(g)
	if err != nil {
		return 0, &UnsupportedError{Msg: err.Error()}
	}
	if q < 2 || q > 256 {
		return 0, &UnsupportedError{Msg: fmt.Sprintf("output %s has %d channels; want 2..256 levels", out.Name, q)}
	}
	return q, nil
}

// nllGraph adds the loss to a lowered graph: onehot (N,q,H,W) holds the
// targets, nll (N,H,W) is each pixel's negative log-likelihood in nats (nil
// when the loss is fused), and cost is its mean, the scalar gorgonia
// differentiates.
type nllGraph struct {
	onehot *G.Node
	nll    *G.Node
	cost   *G.Node
}

// addLoss adds the loss: one fused nllOp (ConvKernels, float32 or float64),
// else gorgonia's elementwise graph (addLossGorgonia).
func addLoss(l *lowered) (*nllGraph, error) {
	if !l.fusedLoss {
		return addLossGorgonia(l)
	}
	s := l.output.Shape()
	oh := G.NewTensor(l.eg, l.dt, 4, G.WithShape(s...), G.WithName("targets/onehot"),
		G.WithValue(tensor.New(tensor.Of(l.dt), tensor.WithShape(s...))))
	cost, err := G.ApplyOp(newNLLOp("loss", l.dt, s), l.output, oh)
	if err != nil {
		return nil, fmt.Errorf("train: loss: %w", err)
	}
	return &nllGraph{onehot: oh, cost: cost}, nil
}

// addLossGorgonia computes, per pixel, logsumexp(z) − z[target] along axis 1 of
// the logits z (N,q,H,W), stably: with m = max over the q levels,
// logsumexp(z) − z[t] = log Σ exp(z − m) − (z[t] − m). The gradient through
// m is 1 − Σ softmax = 0 up to rounding.
func addLossGorgonia(l *lowered) (*nllGraph, error) {
	z := l.output
	s := z.Shape()
	wrap := func(what string, err error) error { return fmt.Errorf("train: loss %s: %w", what, err) }
	oh := G.NewTensor(l.eg, l.dt, 4, G.WithShape(s...), G.WithName("targets/onehot"),
		G.WithValue(tensor.New(tensor.Of(l.dt), tensor.WithShape(s...))))
	m, err := G.Max(z, 1) // (N,H,W)
	if err != nil {
		return nil, wrap("max", err)
	}
	zs, err := G.BroadcastSub(z, m, nil, []byte{1}) // z − m, m repeated along axis 1
	if err != nil {
		return nil, wrap("shift", err)
	}
	e, err := G.Exp(zs)
	if err != nil {
		return nil, wrap("exp", err)
	}
	se, err := G.Sum(e, 1) // (N,H,W)
	if err != nil {
		return nil, wrap("sum", err)
	}
	lse, err := G.Log(se)
	if err != nil {
		return nil, wrap("log", err)
	}
	picked, err := G.HadamardProd(zs, oh)
	if err != nil {
		return nil, wrap("pick", err)
	}
	if picked, err = G.Sum(picked, 1); err != nil {
		return nil, wrap("pick", err)
	}
	nll, err := G.Sub(lse, picked)
	if err != nil {
		return nil, wrap("nll", err)
	}
	cost, err := G.Mean(nll)
	if err != nil {
		return nil, wrap("mean", err)
	}
	return &nllGraph{onehot: oh, nll: nll, cost: cost}, nil
}

// setOneHot writes the one-hot encoding of levels (N·H·W, raster order per
// image) into t (N,q,H,W).
func setOneHot(t tensor.Tensor, levels []uint8, q int) error {
	s := t.Shape()
	hw := s[2] * s[3]
	if len(levels) != s[0]*hw {
		return fmt.Errorf("train: %d target levels for %d images of %dx%d", len(levels), s[0], s[2], s[3])
	}
	for i, l := range levels {
		if int(l) >= q {
			return fmt.Errorf("train: target level %d at %d is out of range for %d levels", l, i, q)
		}
	}
	switch d := t.Data().(type) {
	case []float32:
		clear(d)
		for i, l := range levels {
			n, p := i/hw, i%hw
			d[(n*q+int(l))*hw+p] = 1
		}
	case []float64:
		clear(d)
		for i, l := range levels {
			n, p := i/hw, i%hw
			d[(n*q+int(l))*hw+p] = 1
		}
	}
	return nil
}
