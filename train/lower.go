package train

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lowered is a graph's layer plan (internal/layers) as a gorgonia
// expression graph for a fixed batch size (gorgonia shapes are static).
type lowered struct {
	eg    *G.ExprGraph
	dt    tensor.Dtype // Float32 for training; Float64 for gradient checks
	plan  *layers.Plan
	input *G.Node // (N,C,H,W), the graph's image input
	// labels holds, per conditioning input (layers.Plan.Conds), the
	// batch's values, which the Embed ops read (setLabels).
	labels [][]int64
	output *G.Node   // (N,q·C,H,W), the graph's only output
	params []*param  // the initializers the layers use, in g.Inits order
	vals   []*G.Node // by plan value id
	nodes  map[*graph.Value]*G.Node

	// kernels is set when convs, Adds and the gate run as our own ops on
	// internal/kernels (Options.Conv "kernels", float32 only); ws is their
	// shared scratch memory.
	kernels   bool
	fusedLoss bool // nllOp (kloss.go); set with ConvKernels in float32 and float64
	ws        *kworkspaces
	kconvs    map[int]*kconvUse // every kconv's forward, by layer index (pairResiduals)
	// threads is the step's thread budget (Options.Threads; 0 =
	// GOMAXPROCS), which the elementwise ops (gate, embed) split their
	// images over.
	threads int
}

// param is a trainable initializer and its gorgonia variable.
type param struct {
	v    *graph.Value
	node *G.Node
}

// trainFusions are the plan rules the lowering runs with the kernels: a
// conv applies a Relu on load (kernels.Fuse.ReluIn, and reluIn in the
// backward) and adds its residual; the gate is one op. Relu-out would need
// the kernels' backward to take relu' of the output; add-relu has no Adds
// left to serve. gorgonia's own convs fuse nothing but the gate.
func trainFusions(kernels bool) layers.Fusion {
	if kernels {
		return layers.FuseGate | layers.FuseReluIn | layers.FuseResidual
	}
	return layers.FuseGate
}

// lower builds the expression graph of g's layer plan for batch images in
// dtype dt with the conv implementation conv (ConvKernels or ConvGorgonia;
// float64 always uses gorgonia's, the kernels being float32) on threads
// goroutines (0 = GOMAXPROCS). The initializers the layers use become
// variables holding a copy of their IR data.
func lower(g *graph.Graph, batch int, dt tensor.Dtype, conv string, threads int) (*lowered, error) {
	if len(g.Outputs) != 1 {
		return nil, &UnsupportedError{Msg: fmt.Sprintf("need one output, got %d", len(g.Outputs))}
	}
	in, err := graph.ImageInput(g)
	if err != nil {
		return nil, &UnsupportedError{Msg: err.Error()}
	}
	if len(in.Shape) != 4 || in.Shape[1] <= 0 || in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return nil, &UnsupportedError{Msg: fmt.Sprintf("input %s must be (N,C,H,W) with fixed C, H, W, got %s", in.Name, in.TypeString())}
	}
	l := &lowered{eg: G.NewGraph(), dt: dt, nodes: map[*graph.Value]*G.Node{}, kconvs: map[int]*kconvUse{}, threads: threads}
	l.fusedLoss = conv == ConvKernels
	if conv == ConvKernels && dt == tensor.Float32 {
		l.kernels, l.ws = true, &kworkspaces{threads: threads}
	}
	pl, err := layers.Build(g, layers.Options{Fuse: trainFusions(l.kernels)})
	if err != nil {
		return nil, err
	}
	if !pl.Fast {
		for _, r := range pl.Routes {
			if r.Path == layers.PathGeneric {
				return nil, &UnsupportedError{Node: r.Node.Name, Op: r.Node.Op, Msg: r.Reason + " (training runs layers only)"}
			}
		}
		return nil, &UnsupportedError{Msg: pl.Blocker}
	}
	l.plan, l.vals = pl, make([]*G.Node, len(pl.Values))
	l.labels = make([][]int64, len(pl.Conds))
	for k := range l.labels {
		l.labels[k] = make([]int64, batch)
	}
	shape := []int{batch, in.Shape[1], in.Shape[2], in.Shape[3]}
	l.input = G.NewTensor(l.eg, dt, 4, G.WithShape(shape...), G.WithName(in.Name),
		G.WithValue(tensor.New(tensor.Of(dt), tensor.WithShape(shape...))))
	l.vals[pl.Input] = l.input
	if err := l.newParams(); err != nil {
		return nil, err
	}
	for i, ly := range pl.Layers {
		out, err := l.lowerLayer(i, ly)
		if err != nil {
			return nil, err
		}
		l.vals[ly.Out] = out
	}
	l.output = l.vals[pl.Outputs[0]]
	if l.kernels {
		l.pairResiduals()
	}
	return l, nil
}

// newParams makes a variable of every initializer a layer uses (conv
// weights and biases, binary constants), in g.Inits order. A conv weight
// computed from initializers (Mul(W, M) not folded in the file) cannot be
// trained: train layers.FoldedGraph of it.
func (l *lowered) newParams() error {
	used := map[*graph.Value]bool{}
	for _, ly := range l.plan.Layers {
		if ly.Conv != nil && ly.Conv.Crop != "" {
			return &UnsupportedError{Node: ly.Node.Name, Op: ly.Node.Op,
				Msg: fmt.Sprintf("the conv computes a crop (%s) with a grown kernel; training keeps the file's weights as they are", ly.Conv.Crop)}
		}
		var table *graph.Value
		if ly.Embed != nil {
			table = ly.Embed.TV
		}
		for _, v := range []*graph.Value{ly.ConstV, convValue(ly, 0), convValue(ly, 1), table} {
			if v == nil {
				continue
			}
			if !v.IsConst() {
				return &UnsupportedError{Node: ly.Node.Name, Op: ly.Node.Op,
					Msg: fmt.Sprintf("%s is computed from initializers by node %s; train the folded graph", v.Name, v.Producer.Name)}
			}
			used[v] = true
		}
	}
	for _, v := range l.plan.Graph.Inits {
		if !used[v] {
			continue
		}
		if v.Const.DType != graph.Float32 {
			return &UnsupportedError{Msg: fmt.Sprintf("initializer %s is %v, want float32", v.Name, v.Const.DType)}
		}
		t := tensor.New(tensor.Of(l.dt), tensor.WithShape(v.Const.Shape...))
		copyIn(t, v.Const.F32)
		var node *G.Node
		switch len(v.Const.Shape) {
		case 0:
			node = G.NewScalar(l.eg, l.dt, G.WithName(v.Name), G.WithValue(t))
		case 1:
			node = G.NewVector(l.eg, l.dt, G.WithShape(v.Const.Shape...), G.WithName(v.Name), G.WithValue(t))
		default:
			node = G.NewTensor(l.eg, l.dt, len(v.Const.Shape), G.WithShape(v.Const.Shape...), G.WithName(v.Name), G.WithValue(t))
		}
		l.nodes[v] = node
		l.params = append(l.params, &param{v: v, node: node})
	}
	return nil
}

// convValue returns a conv layer's weight (k 0) or bias (k 1) value.
func convValue(ly *layers.Layer, k int) *graph.Value {
	if ly.Conv == nil {
		return nil
	}
	if k == 0 {
		return ly.Conv.WV
	}
	return ly.Conv.BV
}

// lowerLayer dispatches on the layer class: the one place to change when a
// class gets its own gorgonia Op.
func (l *lowered) lowerLayer(i int, ly *layers.Layer) (*G.Node, error) {
	in := func(k int) *G.Node { return l.vals[ly.In[k]] }
	unsup := func(err error) error {
		return &UnsupportedError{Node: ly.Node.Name, Op: ly.Node.Op, Msg: err.Error()}
	}
	switch ly.Kind {
	case layers.Conv:
		return l.lowerConv(i, ly)
	case layers.Gate:
		if ly.Halves {
			return l.lowerGateHalves(ly, in(0))
		}
		return l.lowerGate(ly, in(0), in(1))
	case layers.Slice:
		return l.lowerSlice(ly, in(0))
	case layers.Embed:
		return l.lowerEmbed(ly, in(0))
	case layers.Unary:
		var y *G.Node
		var err error
		switch ly.Op {
		case "Relu":
			y, err = G.Rectify(in(0))
		case "Sigmoid":
			y, err = G.Sigmoid(in(0))
		case "Tanh":
			y, err = G.Tanh(in(0))
		default: // Identity
			y = in(0)
		}
		if err != nil {
			return nil, unsup(err)
		}
		return y, nil
	case layers.Binary:
		return l.lowerBinary(ly)
	}
	return nil, unsup(fmt.Errorf("layer kind %v", ly.Kind))
}

// lowerBinary: y = a op b, two activations of one shape (an addOp with its
// own buffer under the kernels), or an activation and a constant (a
// variable when it is an initializer) broadcast over the batch and the
// dims where it has size 1.
func (l *lowered) lowerBinary(ly *layers.Layer) (*G.Node, error) {
	unsup := func(err error) error {
		return &UnsupportedError{Node: ly.Node.Name, Op: ly.Node.Op, Msg: err.Error()}
	}
	ops := map[string]func(a, b *G.Node, la, ra []byte) (*G.Node, error){
		"Add": G.BroadcastAdd, "Sub": G.BroadcastSub, "Mul": G.BroadcastHadamardProd, "Div": G.BroadcastHadamardDiv,
	}
	if ly.Const == nil {
		a, b := l.vals[ly.In[0]], l.vals[ly.In[1]]
		if ly.Op == "Add" && l.kernels {
			return G.ApplyOp(&addOp{name: ly.Node.Name, y: outBuf{dt: l.dt, shape: a.Shape().Clone()}}, a, b)
		}
		y, err := ops[ly.Op](a, b, nil, nil)
		if err != nil {
			return nil, unsup(err)
		}
		return y, nil
	}
	x := l.vals[ly.In[0]]
	if ly.ConstFirst {
		x = l.vals[ly.In[1]]
	}
	c, ok := l.nodes[ly.ConstV]
	if !ok {
		t := tensor.New(tensor.Of(l.dt), tensor.WithShape(ly.Const.Shape...))
		copyIn(t, ly.Const.F32)
		c = G.NewConstant(t, G.WithName(ly.ConstV.Name))
	}
	// the constant as (1,c,h,w) broadcast along its size-1 dims
	s := make([]int, 4)
	for i := range s {
		s[i] = 1
	}
	copy(s[4-len(ly.Const.Shape):], ly.Const.Shape)
	var err error
	if c, err = G.Reshape(c, tensor.Shape(s)); err != nil {
		return nil, unsup(err)
	}
	var pat []byte
	for d, n := range s {
		if n == 1 && x.Shape()[d] != 1 {
			pat = append(pat, byte(d))
		}
	}
	var y *G.Node
	if ly.ConstFirst {
		y, err = ops[ly.Op](c, x, pat, nil)
	} else {
		y, err = ops[ly.Op](x, c, nil, pat)
	}
	if err != nil {
		return nil, unsup(err)
	}
	return y, nil
}

// copyIn converts float32 IR data into t (float32 or float64).
func copyIn(t *tensor.Dense, src []float32) {
	switch d := t.Data().(type) {
	case []float32:
		copy(d, src)
	case []float64:
		for i, v := range src {
			d[i] = float64(v)
		}
	}
}

// copyOut converts t's data (float32 or float64) into dst.
func copyOut(dst []float32, t tensor.Tensor) {
	switch d := t.Data().(type) {
	case []float32:
		copy(dst, d)
	case []float64:
		for i, v := range d {
			dst[i] = float32(v)
		}
	}
}
