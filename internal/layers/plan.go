package layers

import (
	"errors"
	"fmt"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Kind is a layer class: what one engine kernel computes in one pass.
type Kind uint8

const (
	// Conv is a 2-D float32 convolution with constant weights, group 1,
	// over its live taps (Conv.Taps), with its fusions.
	Conv Kind = iota
	// Unary is a pointwise op of one activation: Relu, Sigmoid, Tanh or
	// Identity (Layer.Op).
	Unary
	// Binary is Add, Sub, Mul or Div (Layer.Op) of two activations of the
	// same shape, or of an activation and a constant (Layer.Const) that
	// broadcasts to it without growing it.
	Binary
	// Gate is the gated activation tanh(a)·σ(b) of two activations of the
	// same shape (In[0] = a, In[1] = b): ONNX Tanh, Sigmoid and Mul. With
	// Halves, In is [x] of 2c channels and a = x[:c], b = x[c:] (a torch
	// chunk or our GateHalves: two channel Slices fused into the gate).
	Gate
	// Slice copies channels [Slice[0], Slice[1]) of one activation (ONNX
	// Slice on axis 1 with constant bounds and step 1).
	Slice
	// Embed adds a conditioning vector per image: y = x + T[label], T a
	// (K, C) table (Embed), label the image's value of a conditioning input
	// (ONNX Gather(T, label) reshaped to (N,C,1,1), then Add).
	Embed
)

var kindNames = [...]string{"conv", "unary", "binary", "gate", "slice", "embed"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Plan is a graph as layers: the one analysis the fast engines execute (the
// runtime's chain, training's lowering, the cached sampler) and the audit
// reads. Build makes it; it is immutable after.
type Plan struct {
	Graph *graph.Graph
	// Values are the activations the layers read and write, by id.
	Values []*Value
	// Layers are in execution order (the graph's node order).
	Layers []*Layer
	// Routes holds the engine path of every node of Graph.Nodes, in order,
	// then of the nodes folding removed (Options.Folded).
	Routes []Route
	// Input is the value id of the image input, or -1 (see Fast).
	Input int
	// CropSize is the image size (H, W) the plan's crops (slice.go) were
	// resolved for; Shapes refuses others. Zero when there is no crop.
	CropSize [2]int
	// Conds are the conditioning inputs (integer [N]: a class label per
	// image) that Embed layers read, in graph input order.
	Conds []*graph.Value
	// Outputs holds the value id of each graph output, -1 for an output
	// that is not a layer value.
	Outputs []int
	// Consts holds the data of every initializer. Build takes a folded graph
	// (runtime.Fold: every value computed from initializers alone is one),
	// so a conv whose weight is Mul(W, M) in the file has a constant weight.
	Consts map[*graph.Value]*graph.Tensor
	// Fast reports that the fast engines run the whole graph: one float32
	// image input, every node that reaches an output a layer (or fused or
	// folded into one), every output a distinct layer value. Otherwise
	// Blocker says why.
	Fast    bool
	Blocker string
	// Chain reports that the runtime's chain runs the layers (the image
	// input is one, and there are layers): all of the graph when Fast, else
	// the layers only, the generic interpreter running the other nodes on
	// the values the chain exports.
	Chain bool
	// Exports are the layer values used outside the layers, each once: the
	// graph outputs that are layer values and the values that nodes routed
	// to the generic interpreter read. When Fast, they are Outputs.
	Exports []int
	// Fusions are the fusion rules the plan applied (Options.Fuse).
	Fusions Fusion

	byValue map[*graph.Value]int
}

// Value is one activation of the plan: an image (N,C,H,W) computed per
// image, stored once per layer that writes it.
type Value struct {
	ID int
	V  *graph.Value // the graph value it holds
	C  int          // channels
	// Producer is the index of the layer writing it, -1 for the input.
	Producer int
	// Readers are the layers reading it, in order, fused readers included
	// (a conv reading it through a fused Relu, a conv adding it as its
	// residual).
	Readers []int
	// Output reports that it is a graph output: it lives to the end.
	Output bool
	// Reach is how far in raster order the value at a position depends on
	// the image input; see Reach.
	Reach Reach
}

// Last is the index of the last layer reading v (-1 when none).
func (v *Value) Last() int {
	if len(v.Readers) == 0 {
		return -1
	}
	return v.Readers[len(v.Readers)-1]
}

// Layer is one pass of an engine: a class (Kind), its inputs and output,
// its fusions.
type Layer struct {
	Kind Kind
	// Op is the ONNX op of a Unary or Binary layer ("Relu", "Add", ...);
	// "Conv" and "Gate" for those kinds.
	Op string
	// Node is the graph node whose value the layer computes (Gate: the
	// Mul). Fused lists the nodes fused into it (a Relu, a residual Add, the
	// gate's Tanh and Sigmoid).
	Node  *graph.Node
	Fused []*graph.Node
	// In are the value ids read: Conv and Unary [x]; Binary [a, b] with -1
	// for the constant operand; Gate [a, b].
	In []int
	// Const is a Binary layer's constant operand, broadcast to the
	// activation (nil when both operands are activations); ConstFirst says
	// it is the first operand (matters for Sub and Div); ConstV is the graph
	// value holding it (an initializer, or a value folded from them).
	Const      *graph.Tensor
	ConstV     *graph.Value
	ConstFirst bool
	// Out is the value id written.
	Out int
	// Conv describes a Conv layer.
	Conv *ConvSpec
	// ReluIn (Conv): convolve relu(x); x itself is not modified.
	ReluIn bool
	// ReluOut (Conv): clamp the output at 0 after bias and residual.
	ReluOut bool
	// Residual (Conv): value id h; the layer writes (conv(x)+b) + h, the
	// graph's own sum, h dying here. -1 when none.
	Residual int
	// AlsoRelu (Binary Add): value id of relu(sum), written in the same
	// pass. -1 when none.
	AlsoRelu int
	// Halves (Gate): In is [x]; the gate reads x's two halves.
	Halves bool
	// Slice (Slice): the channel range [Slice[0], Slice[1]) copied.
	Slice [2]int
	// Embed describes an Embed layer.
	Embed *EmbedSpec
}

// EmbedSpec is an Embed layer's conditioning: y = x + T[label] with T's row
// label (negative labels count from the end, as ONNX Gather's indices)
// broadcast over positions.
type EmbedSpec struct {
	// Cond is the index in Plan.Conds of the label input.
	Cond int
	// T is the table's data, K rows of C floats (its value TV is (K,C) or
	// (K,C,1,...)).
	T  *graph.Tensor
	TV *graph.Value
	K  int
	C  int
	// Gather is the node looking the row up (errors name it).
	Gather *graph.Node
}

// Row returns label's row of the table, or, for a label outside [-K, K-1]
// (ONNX Gather's range), the error the generic Gather gives (callers name
// e.Gather).
func (e *EmbedSpec) Row(label int64) ([]float32, error) {
	if label < -int64(e.K) || label >= int64(e.K) {
		return nil, fmt.Errorf("input indices: index %d is out of range [%d, %d] for an axis of size %d", label, -e.K, e.K-1, e.K)
	}
	if label < 0 {
		label += int64(e.K)
	}
	return e.T.F32[int(label)*e.C : int(label+1)*e.C], nil
}

// Options select the fusion rules a plan applies (see Fusion); the zero
// value fuses nothing.
type Options struct {
	Fuse Fusion
	// Folded lists the nodes of the caller's original graph that folding
	// (runtime.Fold) evaluated away; they are routed PathFolded, after the
	// routes of the plan's graph.
	Folded []*graph.Node
}

// ValueOf returns the id of the plan value holding v.
func (p *Plan) ValueOf(v *graph.Value) (int, bool) {
	id, ok := p.byValue[v]
	return id, ok
}

// Layer returns the index of the layer computing node n or the one it is
// fused into, or -1.
func (p *Plan) Layer(n *graph.Node) int {
	for _, r := range p.Routes {
		if r.Node == n {
			return r.Layer
		}
	}
	return -1
}

// Build analyses g, a folded graph (runtime.Fold), once: every node
// reaching an output is classed (the classes table) or routed to the
// generic interpreter with the reason, the fusion rules opts selects are
// applied in node order, and lifetimes and reaches computed. It fails only
// on a graph that is not valid.
func Build(g *graph.Graph, opts Options) (*Plan, error) {
	if g == nil {
		return nil, errors.New("layers: nil graph")
	}
	if err := g.Validate(); err != nil {
		return nil, fmt.Errorf("layers: invalid graph: %w", err)
	}
	p := &Plan{Graph: g, Input: -1, Consts: map[*graph.Value]*graph.Tensor{}, Fusions: opts.Fuse, byValue: map[*graph.Value]int{}}
	for _, v := range g.Inits {
		p.Consts[v] = v.Const
	}
	b := &builder{p: p, route: make(map[*graph.Node]*Route, len(g.Nodes)), why: map[*graph.Node]string{},
		consumers: map[*graph.Value][]*graph.Node{}, conds: map[*graph.Value]*condRef{}, pads: map[*graph.Value]*padRef{},
		size: map[int][2]int{}}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v != nil {
				b.consumers[v] = append(b.consumers[v], n)
			}
		}
	}
	p.Routes = make([]Route, len(g.Nodes))
	for i, n := range g.Nodes {
		p.Routes[i] = Route{Node: n, Layer: -1}
		b.route[n] = &p.Routes[i]
	}
	b.input()
	live := b.liveNodes()
	for _, n := range g.Nodes {
		r := b.route[n]
		switch {
		case b.folded(n):
			r.Path, r.Reason = PathFolded, "computes constants only"
		case !live[n]:
			r.Path, r.Reason = PathUnused, "reaches no output"
		default:
			b.classify(n)
		}
	}
	b.fuse(opts.Fuse)
	b.finish()
	for _, n := range opts.Folded {
		p.Routes = append(p.Routes, Route{Node: n, Path: PathFolded, Layer: -1, Reason: "evaluated once, when the graph is compiled"})
	}
	return p, nil
}

// builder holds Build's working state.
type builder struct {
	p     *Plan
	route map[*graph.Node]*Route
	// unfused: layers before fusion, one per classed node; fused ones are
	// set to nil by the rules and compacted by finish.
	layers []*Layer
	why    map[*graph.Node]string // the rule that fused a node
	// consumers are the nodes reading each graph value.
	consumers map[*graph.Value][]*graph.Node
	// conds are the values holding conditioning rows (a Gather of a table
	// by a label input, reshaped); pads the values a zero Pad makes of an
	// activation, which only convs read (cond.go, slice.go).
	conds map[*graph.Value]*condRef
	pads  map[*graph.Value]*padRef
	// size is each value's image size (H, W) when the input's is declared
	// (crops are resolved with it).
	size map[int][2]int
}

// input makes the image input a value: the graph's only non-constant
// input, float32 (N,C,H,W) with C known.
// The other inputs may be conditioning inputs: integer [N] (a label per
// image), read only through Embed layers.
func (b *builder) input() {
	p := b.p
	var ins []*graph.Value
	conds := graph.CondInputs(p.Graph)
	for _, v := range p.Graph.Inputs {
		if _, c := p.Consts[v]; c {
			continue
		}
		if slices.Contains(conds, v) {
			p.Conds = append(p.Conds, v)
			continue
		}
		ins = append(ins, v)
	}
	if len(ins) != 1 {
		p.Blocker = fmt.Sprintf("%d image inputs; the fast engines take one (and integer [N] conditioning inputs)", len(ins))
		return
	}
	in := ins[0]
	if in.DType != graph.Float32 || len(in.Shape) != 4 || in.Shape[1] <= 0 {
		p.Blocker = fmt.Sprintf("input %s is %s; the fast engines take float32 (N,C,H,W) with C known", in.Name, in.TypeString())
		return
	}
	p.Input = b.newValue(in, in.Shape[1], -1)
	if in.Shape[2] > 0 && in.Shape[3] > 0 {
		b.size[p.Input] = [2]int{in.Shape[2], in.Shape[3]}
	}
}

func (b *builder) newValue(v *graph.Value, c, producer int) int {
	id := len(b.p.Values)
	b.p.Values = append(b.p.Values, &Value{ID: id, V: v, C: c, Producer: producer})
	b.p.byValue[v] = id
	return id
}

// folded reports whether n's outputs are all folded constants.
func (b *builder) folded(n *graph.Node) bool {
	for _, o := range n.Outputs {
		if _, ok := b.p.Consts[o]; o != nil && !ok {
			return false
		}
	}
	return true
}

// liveNodes marks the nodes a graph output depends on through values that
// are not constants.
func (b *builder) liveNodes() map[*graph.Node]bool {
	g := b.p.Graph
	need := map[*graph.Value]bool{}
	for _, v := range g.Outputs {
		need[v] = true
	}
	live := map[*graph.Node]bool{}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		for _, o := range n.Outputs {
			if _, c := b.p.Consts[o]; o != nil && need[o] && !c {
				live[n] = true
			}
		}
		if live[n] {
			for _, v := range n.Inputs {
				if v != nil {
					need[v] = true
				}
			}
		}
	}
	return live
}

// activation returns the value id of v when it is a plan value.
func (b *builder) activation(v *graph.Value) (int, bool) {
	if v == nil {
		return 0, false
	}
	id, ok := b.p.byValue[v]
	return id, ok
}

// finish compacts the layers and values, records readers, outputs,
// reaches and routes, and decides Fast.
func (b *builder) finish() {
	p := b.p
	b.compact()
	for i, l := range p.Layers {
		for _, in := range l.reads() {
			p.Values[in].Readers = append(p.Values[in].Readers, i)
		}
		r := b.route[l.Node]
		r.Path, r.Layer, r.Reason = PathLayer, i, ""
		for _, n := range l.Fused {
			r := b.route[n]
			r.Path, r.Layer = PathFused, i
			r.Reason = b.why[n]
		}
	}
	for i := range p.Routes {
		// A conditioning row or pad no layer took runs generic.
		if r := &p.Routes[i]; r.Path == PathFused && r.Layer < 0 {
			r.Path = PathGeneric
			r.Reason = "its value is read by no layer (" + r.Reason + ")"
		}
		if r := &p.Routes[i]; r.Path == PathGeneric && p.Blocker == "" {
			p.Blocker = fmt.Sprintf("node %s (%s): %s", r.Node.Name, r.Node.Op, r.Reason)
		}
	}
	seen := map[int]bool{}
	for _, v := range p.Graph.Outputs {
		id, ok := p.byValue[v]
		switch {
		case !ok:
			id = -1
			if p.Blocker == "" {
				p.Blocker = fmt.Sprintf("output %s is not computed by a layer", v.Name)
			}
		case id == p.Input || seen[id]:
			if p.Blocker == "" {
				p.Blocker = fmt.Sprintf("output %s is the input or another output (the generic path copies it)", v.Name)
			}
		default:
			p.Values[id].Output = true
		}
		seen[id] = true
		p.Outputs = append(p.Outputs, id)
	}
	if p.Blocker == "" && len(p.Layers) == 0 {
		p.Blocker = "no layers"
	}
	p.Fast = p.Blocker == ""
	p.Chain = p.Input >= 0 && len(p.Layers) > 0
	p.exports()
	p.reaches()
}

// exports lists the layer values used outside the layers.
func (p *Plan) exports() {
	if p.Fast {
		p.Exports = p.Outputs
		return
	}
	seen := map[int]bool{}
	add := func(v *graph.Value) {
		if id, ok := p.byValue[v]; ok && id != p.Input && !seen[id] {
			seen[id] = true
			p.Exports = append(p.Exports, id)
		}
	}
	for _, r := range p.Routes {
		if r.Path == PathGeneric {
			for _, v := range r.Node.Inputs {
				add(v)
			}
		}
	}
	for _, v := range p.Graph.Outputs {
		add(v)
	}
}

// compact keeps the layers the rules left and the values they write, with
// ids renumbered in order.
func (b *builder) compact() {
	p := b.p
	ids := make([]int, len(p.Values))
	for i := range ids {
		ids[i] = -1
	}
	var vals []*Value
	keep := func(old int) {
		if ids[old] < 0 {
			ids[old] = len(vals)
			v := p.Values[old]
			v.ID = len(vals)
			vals = append(vals, v)
		}
	}
	if p.Input >= 0 {
		keep(p.Input)
	}
	for _, l := range b.layers {
		if l == nil {
			continue
		}
		i := len(p.Layers)
		p.Layers = append(p.Layers, l)
		for _, o := range []int{l.Out, l.AlsoRelu} {
			if o >= 0 {
				keep(o)
				p.Values[o].Producer = i
			}
		}
	}
	re := func(id int) int {
		if id < 0 {
			return id
		}
		return ids[id]
	}
	for _, l := range p.Layers {
		for k, in := range l.In {
			l.In[k] = re(in)
		}
		l.Out, l.Residual, l.AlsoRelu = re(l.Out), re(l.Residual), re(l.AlsoRelu)
	}
	if p.Input >= 0 {
		p.Input = ids[p.Input]
	}
	p.Values = vals
	p.byValue = make(map[*graph.Value]int, len(vals))
	for _, v := range vals {
		p.byValue[v.V] = v.ID
	}
}

// reads returns the value ids a layer reads, residual included.
func (l *Layer) reads() []int {
	var r []int
	for _, in := range l.In {
		if in >= 0 {
			r = append(r, in)
		}
	}
	if l.Residual >= 0 {
		r = append(r, l.Residual)
	}
	return r
}
