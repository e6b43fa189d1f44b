package layers

import "github.com/pixelgraph/pixelgraph/graph"

// Fusion is a set of fusion rules. Each rule merges layers into one pass
// where the result is bit for bit what the layers compute one by one: it
// moves exact operations (max(v, 0), one float32 add in the graph's own
// order) into a neighbour's pass, it never reorders a sum. An engine
// selects the rules its kernels implement; Build applies them in node
// order, at each layer in the order listed here.
type Fusion uint8

const (
	// FuseGate: Mul(Tanh(a), Sigmoid(b)) (either order) is one Gate layer
	// when the Tanh and Sigmoid outputs are read by the Mul only and are no
	// graph outputs. When a and b are the Slices of channels [0,c) and
	// [c,2c) of one value x of 2c channels, read by the gate alone (a torch
	// chunk, graph.GateHalves), the gate reads x's halves (Layer.Halves).
	// Why: neither the gate's halves nor the slices are ever stored, and
	// one pass reads a and b once.
	FuseGate Fusion = 1 << iota
	// FuseReluOut: a Relu whose input is a conv output read by it alone
	// (and no graph output) is the conv's epilogue: max(W·x + b, 0) is what
	// the two passes compute. Why: the pre-activation is never stored.
	FuseReluOut
	// FuseAddRelu: a Relu of an Add's sum is written by the Add in the same
	// pass (both the sum and relu(sum) are stored). Why: a 1x1 conv reading
	// relu(sum) then reads it in place instead of gathering relu(x) into a
	// panel (the NCHW kernels).
	FuseAddRelu
	// FuseReluIn: a Relu read by convs only, as their input X (and no graph
	// output), is never stored: the convs gather relu(x). Why: one pass and
	// one buffer less; a conv applying relu on load costs nothing.
	FuseReluIn
	// FuseResidual: Add(h, c) with c a conv output read by the Add alone is
	// the conv's epilogue: the conv writes (W·x + b) + h, the graph's sum in
	// the graph's order, over h, which must die there: h is computed by an
	// earlier layer (not the input), read by no layer from the conv on but
	// the Add, and neither h, c nor the sum is a graph output. Why: the
	// sum needs no buffer nor pass of its own. A kernel that sums in another
	// order ((W·x + h) + b: the NCHW GEMM epilogue) must then add h after
	// the conv, to keep the graph's rounding (training does; the runtime's
	// NCHW chain does not select the rule, FuseAddRelu serves it better).
	FuseResidual

	// FuseAll is every rule.
	FuseAll = FuseGate | FuseReluOut | FuseAddRelu | FuseReluIn | FuseResidual
)

var fusionNames = []struct {
	f    Fusion
	name string
}{{FuseGate, "gate"}, {FuseReluOut, "relu-out"}, {FuseAddRelu, "add-relu"}, {FuseReluIn, "relu-in"}, {FuseResidual, "residual"}}

func (f Fusion) String() string {
	s := ""
	for _, n := range fusionNames {
		if f&n.f != 0 {
			if s != "" {
				s += ","
			}
			s += n.name
		}
	}
	if s == "" {
		return "none"
	}
	return s
}

// fuse applies the selected rules to the unfused layers, in order.
func (b *builder) fuse(f Fusion) {
	if f == 0 {
		return
	}
	// pinned values stay stored: graph outputs, and values a node outside
	// the layers reads.
	pinned := map[*graph.Value]bool{}
	for _, v := range b.p.Graph.Outputs {
		pinned[v] = true
	}
	for _, r := range b.route {
		if r.Path == PathGeneric {
			for _, v := range r.Node.Inputs {
				pinned[v] = true
			}
		}
	}
	isOut := func(id int) bool { return id >= 0 && pinned[b.p.Values[id].V] }
	for i, l := range b.layers {
		if l == nil {
			continue
		}
		switch {
		case l.Op == "Mul" && f&FuseGate != 0 && l.Const == nil:
			b.gate(i, isOut)
		case l.Op == "Relu":
			x, y := l.In[0], l.Out
			rd := b.readers(x)
			switch p := b.producer(x); {
			case f&FuseReluOut != 0 && p != nil && p.Kind == Conv && !p.ReluOut && len(rd) == 1 && !isOut(x):
				p.ReluOut, p.Out, p.Fused = true, y, append(p.Fused, l.Node)
				b.why[l.Node] = "conv epilogue (relu-out)"
				b.p.Values[y].Producer = b.p.Values[x].Producer
				b.drop(i, x)
			case f&FuseAddRelu != 0 && p != nil && p.Op == "Add" && p.AlsoRelu < 0:
				p.AlsoRelu, p.Fused = y, append(p.Fused, l.Node)
				b.why[l.Node] = "written by the Add's pass (add-relu)"
				b.p.Values[y].Producer = b.p.Values[x].Producer
				b.layers[i] = nil
			case f&FuseReluIn != 0 && !isOut(y) && b.convInputsOnly(y):
				for _, r := range b.readers(y) {
					c := b.layers[r]
					c.In[0], c.ReluIn = x, true
					c.Fused = append(c.Fused, l.Node)
				}
				b.why[l.Node] = "applied on load by the convs reading it (relu-in)"
				b.drop(i, y)
			}
		case l.Op == "Add" && f&FuseResidual != 0 && l.Const == nil:
			b.residual(i, isOut)
		}
	}
}

// gate makes Mul layer i a Gate when its operands are a Tanh and a Sigmoid
// layer read by it alone.
func (b *builder) gate(i int, isOut func(int) bool) {
	l := b.layers[i]
	var t, s *Layer
	for _, in := range l.In {
		p := b.producer(in)
		if p == nil || p.Kind != Unary || isOut(in) || len(b.readers(in)) != 1 || in == l.In[0] && in == l.In[1] {
			return
		}
		switch p.Op {
		case "Tanh":
			t = p
		case "Sigmoid":
			s = p
		}
	}
	if t == nil || s == nil {
		return
	}
	ti, si := b.p.Values[t.Out].Producer, b.p.Values[s.Out].Producer
	l.Kind, l.Op, l.In = Gate, "Gate", []int{t.In[0], s.In[0]}
	l.Fused = append(l.Fused, t.Node, s.Node)
	b.why[t.Node], b.why[s.Node] = "gate half (gate)", "gate half (gate)"
	b.drop(ti, t.Out)
	b.drop(si, s.Out)
	// The halves of one value.
	fa, fb := b.producer(l.In[0]), b.producer(l.In[1])
	if fa == nil || fb == nil || fa.Kind != Slice || fb.Kind != Slice || fa.In[0] != fb.In[0] ||
		isOut(l.In[0]) || isOut(l.In[1]) || len(b.readers(l.In[0])) != 1 || len(b.readers(l.In[1])) != 1 {
		return
	}
	x, c := fa.In[0], fa.Slice[1]
	if fa.Slice[0] != 0 || fb.Slice != [2]int{c, 2 * c} || b.p.Values[x].C != 2*c {
		return
	}
	ai, bi := b.p.Values[l.In[0]].Producer, b.p.Values[l.In[1]].Producer
	l.Fused = append(l.Fused, fa.Node, fb.Node)
	b.why[fa.Node], b.why[fb.Node] = "gate half (gate)", "gate half (gate)"
	b.drop(ai, l.In[0])
	b.drop(bi, l.In[1])
	l.In, l.Halves = []int{x}, true
}

// residual fuses Add layer i into the conv producing one of its operands
// (FuseResidual's conditions), preferring the second (h + block(h)).
func (b *builder) residual(i int, isOut func(int) bool) {
	a := b.layers[i]
	for _, k := range []int{1, 0} {
		c, h := a.In[k], a.In[1-k]
		p := b.producer(c)
		if p == nil || p.Kind != Conv || p.Residual >= 0 || c == h || h == b.p.Input ||
			isOut(h) || isOut(c) || isOut(a.Out) || len(b.readers(c)) != 1 || p.In[0] == h {
			continue
		}
		pi := b.p.Values[c].Producer
		if hp := b.p.Values[h].Producer; hp < 0 || hp >= pi {
			continue
		}
		later := false
		for _, r := range b.readers(h) {
			if r != i && r >= pi {
				later = true
			}
		}
		if later {
			continue
		}
		p.Residual, p.Out, p.Fused = h, a.Out, append(p.Fused, a.Node)
		b.why[a.Node] = "conv epilogue (residual)"
		b.p.Values[a.Out].Producer = pi
		b.drop(i, c)
		return
	}
}

// producer returns the unfused layer writing value id, or nil.
func (b *builder) producer(id int) *Layer {
	if id < 0 {
		return nil
	}
	p := b.p.Values[id].Producer
	if p < 0 || b.layers[p] == nil {
		return nil
	}
	return b.layers[p]
}

// readers returns the indices of the unfused layers reading value id.
func (b *builder) readers(id int) []int {
	var r []int
	for i, l := range b.layers {
		if l == nil {
			continue
		}
		for _, in := range l.reads() {
			if in == id {
				r = append(r, i)
				break
			}
		}
	}
	return r
}

// convInputsOnly reports whether value id has readers and every one is a
// conv reading it as X only.
func (b *builder) convInputsOnly(id int) bool {
	rd := b.readers(id)
	for _, r := range rd {
		l := b.layers[r]
		if l.Kind != Conv || l.In[0] != id || l.Residual == id {
			return false
		}
	}
	return len(rd) > 0
}

// drop removes layer i (fused into another) and the value id no layer
// writes any more.
func (b *builder) drop(i, id int) {
	b.layers[i] = nil
	v := b.p.Values[id]
	v.Producer = -2
	delete(b.p.byValue, v.V)
}
