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
// channels of every image, and every op computes one position of its slot.
//
// The schedule: a value's shift is how far, in raster order (the linear
// index y·W+x of a position), the value at position q depends on the input:
// it needs input pixels up to q + shift. So it can be computed as soon as
// pixel q + shift is drawn: at time t (after pixel t is drawn; t = −1
// before the first), every op computes the positions q ≤ t − shift not yet
// computed, in layer order. A layer's shift is the largest shift of an
// input plus the linear offset of the tap reading it (a conv's live taps
// that can fall inside the image; 0 for pointwise layers), so every
// position a layer reads is computed before it; linear offsets of in-image
// positions are exact, so this holds at the image's borders too. The
// logits need shift ≤ −1: the distribution of pixel t is known before it
// is drawn. PixelCNN's layers after mask A have shift −1; the vertical stack
// of a Gated PixelCNN is shifted a row ahead (−W+k), so a whole row of it
// is computed before the row's first pixel; a torch Gated PixelCNN's
// vertical stack, which sees its own row, trails behind (shift > 0) and is
// read only a row later.
type plan struct {
	h, w, pixels int
	input        int // slot of the graph input
	output       int // slot of the logits
	inC, outC    int
	inName       string
	chans        []int // channels per slot
	// ring is how many positions of a slot are kept (a ring buffer): the
	// most positions between the newest written and the oldest still read.
	ring []int
	ops  []step
	// outShift is the logits' shift (<= -1).
	outShift int
	// conds are the conditioning inputs' names, by layers.Plan.Conds index.
	conds []string
}

// step is one op and its shift.
type step struct {
	op    op
	shift int
	slot  int
}

// op evaluates one layer at one position for every image of a state.
type op interface {
	apply(s *state, p int)
}

// vinfo is what the analysis knows about an activation.
type vinfo struct {
	slot int
	c    int
	// shift: the value at q needs input pixels up to q + shift; cause
	// explains a shift >= 0 (nil for the input itself).
	shift int
	cause *CausalityError
	// readers: the reads of the slot, (reader's shift, smallest linear
	// offset read), for the ring size.
	reads [][2]int
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
	if cs := lp.CropSize; cs != [2]int{} && cs != [2]int{pl.h, pl.w} {
		return nil, &UnsupportedError{Node: in.Name, Op: "input", Reason: fmt.Sprintf("crops resolved for %dx%d", cs[0], cs[1])}
	}
	for _, c := range lp.Conds {
		pl.conds = append(pl.conds, c.Name)
	}
	pl.pixels = pl.h * pl.w
	need := needed(lp, out)
	info := make([]*vinfo, len(lp.Values))
	newSlot := func(id, c int) *vinfo {
		vi := &vinfo{slot: len(pl.chans), c: c}
		pl.chans = append(pl.chans, c)
		info[id] = vi
		return vi
	}
	pl.input = newSlot(lp.Input, pl.inC).slot
	for _, l := range lp.Layers {
		if !need[l.Out] {
			continue
		}
		o, vi, err := pl.layer(lp, l, info, newSlot)
		if err != nil {
			return nil, err
		}
		pl.ops = append(pl.ops, step{op: o, shift: vi.shift, slot: vi.slot})
	}
	oi := info[out]
	switch {
	case oi == nil:
		return nil, &UnsupportedError{Node: logits.Name, Op: "output", Reason: "the output does not depend on the input"}
	case oi.shift >= 0:
		if oi.cause != nil {
			return nil, oi.cause
		}
		return nil, &CausalityError{Node: logits.Name, Op: "output", Input: in.Name, Row: -1, Col: -1,
			Reason: "the output at a pixel sees the input at that pixel"}
	}
	pl.output, pl.outC, pl.outShift = oi.slot, oi.c, oi.shift
	// Ring sizes: the drawing reads the logits at t when they are written up
	// to t−1−shift; a layer of shift s_c reading a slot of shift s_v at
	// linear offsets from o reads back to max(s_c+1, 0) − s_v − o positions
	// behind the newest one written.
	pl.ring = make([]int, len(pl.chans))
	for id, vi := range info {
		if vi == nil {
			continue
		}
		r := 1
		if id == out {
			r = max(r, -vi.shift)
		}
		for _, rd := range vi.reads {
			r = max(r, max(rd[0]+1, 0)-vi.shift-rd[1])
		}
		pl.ring[vi.slot] = min(r, pl.pixels)
	}
	return pl, nil
}

// lin is the linear offset of o in raster order.
func (pl *plan) lin(o graph.Offset) int { return o.Dy*pl.w + o.Dx }

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

// pointwise gives the output of a pointwise layer reading ins (nil for a
// constant operand) the inputs' largest shift, with that input's cause.
func pointwise(ins []*vinfo, out *vinfo) {
	first := true
	for _, x := range ins {
		if x != nil && (first || x.shift > out.shift) {
			out.shift, out.cause, first = x.shift, x.cause, false
		}
	}
	for _, x := range ins {
		if x != nil {
			x.reads = append(x.reads, [2]int{out.shift, 0})
		}
	}
}

// layer compiles one layer the logits need.
func (pl *plan) layer(lp *layers.Plan, l *layers.Layer, info []*vinfo, newSlot func(int, int) *vinfo) (op, *vinfo, error) {
	n := l.Node
	ins := make([]*vinfo, len(l.In))
	for i, id := range l.In {
		if id < 0 {
			continue
		}
		if ins[i] = info[id]; ins[i] == nil {
			return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("input %s is not an activation", lp.Values[id].V.Name)}
		}
	}
	if l.Kind == layers.Conv {
		return pl.conv(lp, l, ins[0], newSlot)
	}
	x := ins[0]
	if x == nil {
		x = ins[1]
	}
	c := x.c
	var s *vinfo
	var o op
	switch l.Kind {
	case layers.Unary:
		s = newSlot(l.Out, c)
		o = &unaryOp{kind: l.Op, in: x.slot, out: s.slot, c: c}
	case layers.Gate:
		if l.Halves {
			s = newSlot(l.Out, c/2)
			o = &gateOp{a: ins[0].slot, b: -1, out: s.slot, c: c / 2}
		} else {
			s = newSlot(l.Out, c)
			o = &gateOp{a: ins[0].slot, b: ins[1].slot, out: s.slot, c: c}
		}
	case layers.Slice:
		s = newSlot(l.Out, l.Slice[1]-l.Slice[0])
		o = &sliceOp{in: ins[0].slot, out: s.slot, cin: c, lo: l.Slice[0], hi: l.Slice[1]}
	case layers.Embed:
		s = newSlot(l.Out, c)
		o = &embedOp{in: ins[0].slot, out: s.slot, e: l.Embed}
	case layers.Binary:
		var ops [2]operand
		for i, x := range ins {
			if x != nil {
				ops[i] = operand{slot: x.slot, c: x.c}
			}
		}
		if l.Const != nil {
			k := 0
			if !l.ConstFirst {
				k = 1
			}
			ops[k] = operand{slot: -1, data: layers.Expand(l.Const, c, pl.h, pl.w), sc: pl.h * pl.w, sy: pl.w, sx: 1}
		}
		s = newSlot(l.Out, c)
		o = &binaryOp{kind: l.Op, a: ops[0], b: ops[1], out: s.slot, c: c}
	default:
		return nil, nil, &UnsupportedError{Node: n.Name, Op: n.Op, Reason: fmt.Sprintf("layer kind %v", l.Kind)}
	}
	pointwise(ins, s)
	return o, s, nil
}

// checkLabels checks every label an embed op will look up, naming the
// Gather node of the first out of its table's range.
func (pl *plan) checkLabels(labels [][]int64) error {
	for _, st := range pl.ops {
		if e, ok := st.op.(*embedOp); ok {
			for _, l := range labels[e.e.Cond] {
				if _, err := e.e.Row(l); err != nil {
					return fmt.Errorf("node %s (Gather) of conditioning input %s: %w", e.e.Gather.Name, pl.conds[e.e.Cond], err)
				}
			}
		}
	}
	return nil
}
