package sample

import (
	"errors"
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// plan is a graph compiled for incremental evaluation: every activation is
// a slot holding, per position, the channels of every image; pre ops compute
// position p before pixel p is sampled, post ops after it is written.
type plan struct {
	h, w, pixels int
	input        int // slot of the graph input
	output       int // slot of the logits
	inC, outC    int
	inName       string
	chans        []int // channels per slot
	// ring is how many positions of a slot are kept: 1 + the furthest
	// position back any tap reads it (positions live in a ring buffer).
	ring      []int
	pre, post []op
}

// op evaluates one node at one position for every image of a state.
type op interface {
	apply(s *state, p int)
}

// vinfo is what the analysis knows about an activation.
type vinfo struct {
	slot int
	c    int
	// own reports that the value at p depends on input pixel p itself (so it
	// can only be computed after pixel p is sampled); cause says where.
	own   bool
	cause *CausalityError
}

// compile proves g causal and builds its incremental plan. It returns a
// *CausalityError or *UnsupportedError when it cannot.
func compile(g *graph.Graph) (*plan, error) {
	// Fold constants first, so a mask applied at run time (Mul(W, M)) shows
	// in the weight's zero pattern.
	g, err := runtime.Fold(g)
	if err != nil {
		return nil, err
	}
	consts := map[*graph.Value]*graph.Tensor{}
	for _, v := range g.Inits {
		consts[v] = v.Const
	}
	var in *graph.Value
	for _, v := range g.Inputs {
		if _, ok := consts[v]; ok {
			continue
		}
		if in != nil {
			return nil, &UnsupportedError{Node: v.Name, Op: "input", Reason: "the graph has more than one input"}
		}
		in = v
	}
	if in == nil || len(g.Outputs) == 0 {
		return nil, &UnsupportedError{Node: g.Name, Op: "graph", Reason: "need one image input and an output"}
	}
	if len(in.Shape) != 4 || in.Shape[1] <= 0 || in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return nil, &UnsupportedError{Node: in.Name, Op: "input", Reason: fmt.Sprintf("need a (N,C,H,W) input with known C, H, W, got %s", in.TypeString())}
	}
	out, _, err := graph.SoftmaxTail(g)
	var te *graph.TailError
	if errors.As(err, &te) {
		return nil, &UnsupportedError{Node: te.Node.Name, Op: te.Node.Op, Reason: te.Reason}
	} else if err != nil {
		return nil, err
	}
	pl := &plan{h: in.Shape[2], w: in.Shape[3], inC: in.Shape[1], inName: in.Name}
	pl.pixels = pl.h * pl.w
	live := liveNodes(g, out, consts)
	info := map[*graph.Value]*vinfo{}
	newSlot := func(v *graph.Value, c int) *vinfo {
		vi := &vinfo{slot: len(pl.chans), c: c}
		pl.chans = append(pl.chans, c)
		pl.ring = append(pl.ring, 1)
		info[v] = vi
		return vi
	}
	pl.input = newSlot(in, pl.inC).slot
	info[in].own = true
	for _, n := range g.Nodes {
		if !live[n] {
			continue
		}
		o, vi, err := pl.node(n, info, consts, newSlot)
		if err != nil {
			return nil, err
		}
		if vi.own {
			pl.post = append(pl.post, o)
		} else {
			pl.pre = append(pl.pre, o)
		}
	}
	oi := info[out]
	switch {
	case oi == nil:
		return nil, &UnsupportedError{Node: out.Name, Op: "output", Reason: "the output does not depend on the input"}
	case oi.own:
		if oi.cause != nil {
			return nil, oi.cause
		}
		return nil, &CausalityError{Node: out.Name, Op: "output", Input: in.Name, Row: -1, Col: -1,
			Reason: "the output at a pixel sees the input at that pixel"}
	}
	pl.output, pl.outC = oi.slot, oi.c
	return pl, nil
}

// liveNodes marks the nodes the output depends on through non-constant values.
func liveNodes(g *graph.Graph, out *graph.Value, consts map[*graph.Value]*graph.Tensor) map[*graph.Node]bool {
	need := map[*graph.Value]bool{out: true}
	live := map[*graph.Node]bool{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		used := false
		for _, o := range n.Outputs {
			if o != nil && need[o] {
				if _, c := consts[o]; !c {
					used = true
				}
			}
		}
		if !used {
			continue
		}
		live[n] = true
		for _, v := range n.Inputs {
			if v != nil {
				need[v] = true
			}
		}
	}
	return live
}

// node compiles one live node.
func (pl *plan) node(n *graph.Node, info map[*graph.Value]*vinfo, consts map[*graph.Value]*graph.Tensor,
	newSlot func(*graph.Value, int) *vinfo) (op, *vinfo, error) {
	unsup := func(format string, args ...any) (op, *vinfo, error) {
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf(format, args...)}
	}
	if len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return unsup("%d outputs; only single-output nodes are supported", len(n.Outputs))
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return unsup("domain %q is not supported", n.Domain)
	}
	act := func(i int) (*vinfo, error) {
		if i >= len(n.Inputs) || n.Inputs[i] == nil {
			return nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("input %d is missing", i)}
		}
		vi := info[n.Inputs[i]]
		if vi == nil {
			return nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("input %s is neither an activation nor a constant", n.Inputs[i].Name)}
		}
		return vi, nil
	}
	switch n.Op {
	case "Conv":
		return pl.conv(n, info, consts, newSlot)
	case "Relu", "Sigmoid", "Tanh", "Identity":
		x, err := act(0)
		if err != nil {
			return nil, nil, err
		}
		if len(n.Inputs) != 1 {
			return unsup("want 1 input, got %d", len(n.Inputs))
		}
		vi := newSlot(n.Outputs[0], x.c)
		vi.own, vi.cause = x.own, x.cause
		return &unaryOp{kind: n.Op, in: x.slot, out: vi.slot, c: x.c}, vi, nil
	case "Add", "Sub", "Mul", "Div":
		if len(n.Inputs) != 2 {
			return unsup("want 2 inputs, got %d", len(n.Inputs))
		}
		var ops [2]operand
		c := 1
		for i, v := range n.Inputs {
			if v == nil {
				return unsup("input %d is missing", i)
			}
			if x := info[v]; x != nil {
				c = max(c, x.c)
				continue
			}
			if _, ok := consts[v]; !ok {
				return unsup("input %s is neither an activation nor a constant", v.Name)
			}
		}
		vi := &vinfo{}
		for i, v := range n.Inputs {
			if x := info[v]; x != nil {
				if x.c != c && x.c != 1 {
					return unsup("inputs have %d and %d channels", x.c, c)
				}
				ops[i] = operand{slot: x.slot, c: x.c}
				if x.own && !vi.own {
					vi.own, vi.cause = true, x.cause
				}
				continue
			}
			cop, err := pl.constOperand(consts[v], c)
			if err != nil {
				return unsup("constant %s: %v", v.Name, err)
			}
			ops[i] = cop
		}
		s := newSlot(n.Outputs[0], c)
		s.own, s.cause = vi.own, vi.cause
		return &binaryOp{kind: n.Op, a: ops[0], b: ops[1], out: s.slot, c: c}, s, nil
	}
	return unsup("op %s is not supported by the cached sampler", n.Op)
}

// constOperand prepares a constant broadcast against (1, c, H, W).
func (pl *plan) constOperand(t *graph.Tensor, c int) (operand, error) {
	if t.DType != graph.Float32 || len(t.Shape) > 4 {
		return operand{}, fmt.Errorf("need a float32 tensor of rank <= 4, got %v%v", t.DType, t.Shape)
	}
	s := padShape(t.Shape, 4)
	want := []int{1, c, pl.h, pl.w}
	for d := range s {
		if s[d] != 1 && s[d] != want[d] {
			return operand{}, fmt.Errorf("shape %v does not broadcast to (1,%d,%d,%d) without growing the batch", t.Shape, c, pl.h, pl.w)
		}
	}
	st := bstrides(s, want)
	return operand{slot: -1, data: t.F32, sc: st[1], sy: st[2], sx: st[3]}, nil
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
