package train

import (
	"slices"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// outBuf is the output buffer of one of our ops: shape and dtype fixed at
// lowering; storage given by assignBuffers (shared with other ops' outputs
// whose values are dead by then) or, failing that, allocated at first use.
// The op writes all of it at every step and returns it from Do.
type outBuf struct {
	dt    tensor.Dtype
	shape tensor.Shape
	t     *tensor.Dense
}

func (b *outBuf) get() *tensor.Dense {
	if b.t == nil {
		b.t = tensor.New(tensor.Of(b.dt), tensor.WithShape(b.shape...))
	}
	return b.t
}

// buffered is an op writing into an outBuf.
type buffered interface{ buf() *outBuf }

func (op nllGradOp) buf() *outBuf { return &op.grad }
func (op *addOp) buf() *outBuf    { return &op.y }
func (op *gateOp) buf() *outBuf   { return &op.y }
func (op *embedOp) buf() *outBuf  { return &op.y }
func (op embedGradOp) buf() *outBuf {
	return &op.dT
}
func (op *sliceOp) buf() *outBuf     { return &op.y }
func (op sliceGradOp) buf() *outBuf  { return &op.dx }
func (op *halvesOp) buf() *outBuf    { return &op.y }
func (op halvesGradOp) buf() *outBuf { return &op.dx }

// assignBuffers gives our ops' outputs storage, sharing it between values
// whose lifetimes in the tape's order do not overlap: gorgonia's tape
// machine runs the nodes in reversed Sort order (its Compile), a value
// lives from its node until the last node reading it, and a gorgonia node
// may return (a view of, or an in-place update of) any of its inputs, so
// it extends their lives to its own readers. keep (the logits, the cost)
// live to the end: they are read after the run. Gradient nodes of
// parameters are read by nothing: the tape machine adds them into the
// parameters' gradients as soon as they are computed.
//
// Within a step most backward values are short-lived (each conv's dx is
// read by the previous conv's gradient ops and dead after), and every dW,
// dB is dead at once, so they collapse to a few buffers; forward
// activations live until the backward reaches them and keep their own.
func assignBuffers(eg *G.ExprGraph, keep ...*G.Node) error {
	order, err := G.Sort(eg)
	if err != nil {
		return err
	}
	slices.Reverse(order)
	children := func(n *G.Node) []*G.Node {
		var cs []*G.Node
		for it := eg.From(n.ID()); it.Next(); {
			cs = append(cs, it.Node().(*G.Node))
		}
		return cs
	}
	// aliases[n]: the our-op nodes whose buffers n's value may be in.
	aliases := make(map[*G.Node][]*G.Node, len(order))
	end := map[*G.Node]int{} // last position reading each our-op value
	for i, n := range order {
		if _, ok := n.Op().(buffered); ok {
			aliases[n] = []*G.Node{n}
			end[n] = i
		} else {
			var as []*G.Node
			for _, c := range children(n) {
				as = append(as, aliases[c]...)
			}
			aliases[n] = as
		}
		for _, c := range children(n) {
			for _, a := range aliases[c] {
				end[a] = max(end[a], i)
			}
		}
	}
	for _, k := range keep {
		for _, a := range aliases[k] {
			end[a] = len(order)
		}
	}
	type buffer struct {
		data any // []float32 or []float64
		size int
		free int // position after which it is free
	}
	var pool []*buffer
	for i, n := range order {
		op, ok := n.Op().(buffered)
		if !ok {
			continue
		}
		b := op.buf()
		size := b.shape.TotalSize()
		var pick *buffer
		for _, c := range pool { // the smallest free buffer of the dtype that fits
			if c.free < i && c.size >= size && sameDtype(c.data, b.dt) && (pick == nil || c.size < pick.size) {
				pick = c
			}
		}
		if pick == nil {
			pick = &buffer{size: size}
			if b.dt == tensor.Float64 {
				pick.data = make([]float64, size)
			} else {
				pick.data = make([]float32, size)
			}
			pool = append(pool, pick)
		}
		pick.free = end[n]
		switch d := pick.data.(type) {
		case []float32:
			b.t = tensor.New(tensor.WithBacking(d[:size]), tensor.WithShape(b.shape...))
		case []float64:
			b.t = tensor.New(tensor.WithBacking(d[:size]), tensor.WithShape(b.shape...))
		}
	}
	return nil
}

func sameDtype(data any, dt tensor.Dtype) bool {
	_, f64 := data.([]float64)
	return f64 == (dt == tensor.Float64)
}
