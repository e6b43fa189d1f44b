package sample

import (
	"errors"
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// plan is a graph's layer plan (internal/layers) compiled for incremental
// evaluation: every activation is a slot holding, per position, the
// channels of every image; row ops compute a whole row y when rows above
// it are drawn (values whose reach is rows above only: layers.Reach
// RowAhead, the vertical stack of a Gated PixelCNN), pre ops compute
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
	ring            []int
	rows, pre, post []op
}

// step runs the plan's ops for position p of a state whose pixels before p
// are set: at the start of a row, the row ops for the whole row; then the
// pre ops; then draw (which sets pixel p); then the post ops.
func (pl *plan) step(s *state, p int, draw func()) {
	if p%pl.w == 0 {
		for _, o := range pl.rows {
			for q := p; q < p+pl.w; q++ {
				o.apply(s, q)
			}
		}
	}
	for _, o := range pl.pre {
		o.apply(s, p)
	}
	draw()
	for _, o := range pl.post {
		o.apply(s, p)
	}
}

// op evaluates one layer at one position for every image of a state.
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
	// row reports that row y of the value depends on rows above y only: it
	// is computed a row ahead, at the start of row y.
	row bool
}

// sampleFusions are the plan rules the cached sampler runs: the gate is one
// step; the others would save nothing at one position.
const sampleFusions = layers.FuseGate

// compile proves g causal and builds its incremental plan from the layer
// plan. It returns a *CausalityError or *UnsupportedError when it cannot.
func compile(g *graph.Graph) (*plan, error) {
	// Fold constants first (runtime.Fold), so a mask applied at run time
	// (Mul(W, M)) shows in the weight's zero pattern.
	g, err := runtime.Fold(g)
	if err != nil {
		return nil, err
	}
	lp, err := layers.Build(g, layers.Options{Fuse: sampleFusions})
	if err != nil {
		return nil, err
	}
	if lp.Input < 0 {
		return nil, &UnsupportedError{Node: g.Name, Op: "graph", Reason: lp.Blocker}
	}
	in := lp.Values[lp.Input].V
	if in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return nil, &UnsupportedError{Node: in.Name, Op: "input", Reason: fmt.Sprintf("need a (N,C,H,W) input with known C, H, W, got %s", in.TypeString())}
	}
	logits, _, err := graph.SoftmaxTail(g)
	var te *graph.TailError
	if errors.As(err, &te) {
		return nil, &UnsupportedError{Node: te.Node.Name, Op: te.Node.Op, Reason: te.Reason}
	} else if err != nil {
		return nil, err
	}
	out, ok := lp.ValueOf(logits)
	if !ok {
		return nil, notLayers(lp, logits)
	}
	pl := &plan{h: in.Shape[2], w: in.Shape[3], inC: in.Shape[1], inName: in.Name}
	pl.pixels = pl.h * pl.w
	need := needed(lp, out)
	info := make([]*vinfo, len(lp.Values))
	newSlot := func(id, c int) *vinfo {
		vi := &vinfo{slot: len(pl.chans), c: c}
		pl.chans = append(pl.chans, c)
		pl.ring = append(pl.ring, 1)
		info[id] = vi
		return vi
	}
	pl.input = newSlot(lp.Input, pl.inC).slot
	info[lp.Input].own = true
	for _, l := range lp.Layers {
		if !need[l.Out] {
			continue
		}
		o, vi, err := pl.layer(lp, l, info, newSlot)
		if err != nil {
			return nil, err
		}
		switch {
		case vi.row:
			pl.rows = append(pl.rows, o)
			pl.ring[vi.slot] = max(pl.ring[vi.slot], pl.w) // a row is written at once
		case vi.own:
			pl.post = append(pl.post, o)
		default:
			pl.pre = append(pl.pre, o)
		}
	}
	oi := info[out]
	switch {
	case oi == nil:
		return nil, &UnsupportedError{Node: logits.Name, Op: "output", Reason: "the output does not depend on the input"}
	case oi.own:
		if oi.cause != nil {
			return nil, oi.cause
		}
		return nil, &CausalityError{Node: logits.Name, Op: "output", Input: in.Name, Row: -1, Col: -1,
			Reason: "the output at a pixel sees the input at that pixel"}
	}
	pl.output, pl.outC = oi.slot, oi.c
	return pl, nil
}

// notLayers explains why value v is not computed by layers: the first node
// it depends on that the plan routes to the generic interpreter.
func notLayers(lp *layers.Plan, v *graph.Value) error {
	if r := lp.Blocking(v); r != nil {
		return &UnsupportedError{Node: r.Node.Name, Op: r.Node.Op, Reason: r.Reason}
	}
	return &UnsupportedError{Node: v.Name, Op: "output", Reason: "not computed by the layer plan: " + lp.Blocker}
}

// needed marks the values the plan's value out depends on.
func needed(lp *layers.Plan, out int) []bool {
	need := make([]bool, len(lp.Values))
	need[out] = true
	for i := len(lp.Layers) - 1; i >= 0; i-- {
		l := lp.Layers[i]
		if need[l.Out] || l.AlsoRelu >= 0 && need[l.AlsoRelu] {
			for _, in := range l.In {
				if in >= 0 {
					need[in] = true
				}
			}
			if l.Residual >= 0 {
				need[l.Residual] = true
			}
		}
	}
	return need
}

// layer compiles one layer the logits need.
func (pl *plan) layer(lp *layers.Plan, l *layers.Layer, info []*vinfo, newSlot func(int, int) *vinfo) (op, *vinfo, error) {
	n := l.Node
	ins := make([]*vinfo, len(l.In))
	row := lp.Values[l.Out].Reach.RowAhead()
	vi := &vinfo{row: row}
	for i, id := range l.In {
		if id < 0 {
			continue
		}
		if ins[i] = info[id]; ins[i] == nil {
			return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("input %s is not an activation", lp.Values[id].V.Name)}
		}
		if ins[i].own && !vi.own {
			vi.own, vi.cause = true, ins[i].cause
		}
		if l.Kind != layers.Conv && ins[i].row {
			pl.ring[ins[i].slot] = max(pl.ring[ins[i].slot], pl.w) // read at p, written to the row's end
		}
	}
	switch l.Kind {
	case layers.Conv:
		return pl.conv(lp, l, ins[0], row, newSlot)
	case layers.Unary:
		s := newSlot(l.Out, ins[0].c)
		s.own, s.cause, s.row = vi.own, vi.cause, row
		return &unaryOp{kind: l.Op, in: ins[0].slot, out: s.slot, c: ins[0].c}, s, nil
	case layers.Gate:
		s := newSlot(l.Out, ins[0].c)
		s.own, s.cause, s.row = vi.own, vi.cause, row
		return &gateOp{a: ins[0].slot, b: ins[1].slot, out: s.slot}, s, nil
	}
	var ops [2]operand
	c := 0
	for i, x := range ins {
		if x != nil {
			ops[i], c = operand{slot: x.slot, c: x.c}, x.c
		}
	}
	if l.Const != nil {
		k := 0
		if !l.ConstFirst {
			k = 1
		}
		ops[k] = operand{slot: -1, data: layers.Expand(l.Const, c, pl.h, pl.w), sc: pl.h * pl.w, sy: pl.w, sx: 1}
	}
	s := newSlot(l.Out, c)
	s.own, s.cause, s.row = vi.own, vi.cause, row
	return &binaryOp{kind: l.Op, a: ops[0], b: ops[1], out: s.slot, c: c}, s, nil
}
