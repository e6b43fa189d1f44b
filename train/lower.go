package train

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lowered is a graph.Graph as a gorgonia expression graph for a fixed batch
// size (gorgonia shapes are static).
type lowered struct {
	eg     *G.ExprGraph
	dt     tensor.Dtype // Float32 for training; Float64 for gradient checks
	input  *G.Node      // (N,C,H,W), the graph's only input
	output *G.Node      // (N,q·C,H,W), the graph's only output
	params []*param     // the initializers the nodes use, in g.Inits order
	values map[*graph.Value]*G.Node

	// kernels is set when convs, residual Adds and the loss run as our own
	// ops on internal/kernels (Options.Conv "kernels", float32 only); ws is
	// their shared scratch memory. reluOf maps the output of a Relu fused
	// into the convs that read it (Fuse.ReluIn) to the Relu's input.
	kernels   bool
	fusedLoss bool // nllOp (kloss.go); set with ConvKernels in float32 and float64
	ws        *kworkspaces
	reluOf    map[*graph.Value]*graph.Value
	// addOf maps the output of a conv read only by a residual Add to that
	// Add; fusedAdd maps an Add fused into its conv to the conv's node.
	addOf    map[*graph.Value]fusableAdd
	fusedAdd map[*graph.Node]*G.Node
	kconvs   []kconvUse // every kconv's forward, in lowering order (pairResiduals)
}

// fusableAdd is an Add node and its input other than the conv's output.
type fusableAdd struct {
	add   *graph.Node
	other *graph.Value
}

// param is a trainable initializer and its gorgonia variable.
type param struct {
	v    *graph.Value
	node *G.Node
}

// lower builds the expression graph of g for batch images in dtype dt with
// the conv implementation conv (ConvKernels or ConvGorgonia; float64 always
// uses gorgonia's, the kernels being float32). The initializers become
// variables holding a copy of their IR data.
func lower(g *graph.Graph, batch int, dt tensor.Dtype, conv string) (*lowered, error) {
	if len(g.Inputs) != 1 || len(g.Outputs) != 1 {
		return nil, &UnsupportedError{Msg: fmt.Sprintf("need one input and one output, got %d and %d", len(g.Inputs), len(g.Outputs))}
	}
	in := g.Inputs[0]
	if len(in.Shape) != 4 || in.Shape[1] <= 0 || in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return nil, &UnsupportedError{Msg: fmt.Sprintf("input %s must be (N,C,H,W) with fixed C, H, W, got %s", in.Name, in.TypeString())}
	}
	l := &lowered{eg: G.NewGraph(), dt: dt, values: map[*graph.Value]*G.Node{}}
	l.fusedLoss = conv == ConvKernels
	if conv == ConvKernels && dt == tensor.Float32 {
		l.kernels, l.ws = true, &kworkspaces{}
		l.reluOf = fusedRelus(g)
		l.addOf, l.fusedAdd = fusableAdds(g), map[*graph.Node]*G.Node{}
	}
	shape := []int{batch, in.Shape[1], in.Shape[2], in.Shape[3]}
	l.input = G.NewTensor(l.eg, dt, 4, G.WithShape(shape...), G.WithName(in.Name),
		G.WithValue(tensor.New(tensor.Of(dt), tensor.WithShape(shape...))))
	l.values[in] = l.input
	used := map[*graph.Value]bool{}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			used[v] = true
		}
	}
	for _, v := range g.Inits {
		if !used[v] {
			continue
		}
		if v.Const.DType != graph.Float32 {
			return nil, &UnsupportedError{Msg: fmt.Sprintf("initializer %s is %v, want float32", v.Name, v.Const.DType)}
		}
		t := tensor.New(tensor.Of(dt), tensor.WithShape(v.Const.Shape...))
		copyIn(t, v.Const.F32)
		var node *G.Node
		if len(v.Const.Shape) == 1 {
			node = G.NewVector(l.eg, dt, G.WithShape(v.Const.Shape...), G.WithName(v.Name), G.WithValue(t))
		} else {
			node = G.NewTensor(l.eg, dt, len(v.Const.Shape), G.WithShape(v.Const.Shape...), G.WithName(v.Name), G.WithValue(t))
		}
		l.values[v] = node
		l.params = append(l.params, &param{v: v, node: node})
	}
	for _, n := range g.Nodes {
		if err := l.lowerNode(n); err != nil {
			return nil, err
		}
	}
	out, ok := l.values[g.Outputs[0]]
	if !ok {
		return nil, &UnsupportedError{Msg: "output " + g.Outputs[0].Name + " is not computed"}
	}
	l.output = out
	if l.kernels {
		l.pairResiduals()
	}
	return l, nil
}

// lowerNode dispatches on the op: this is the one place to change when an
// op gets its own gorgonia Op (a faster conv kernel, a fused conv+ReLU).
func (l *lowered) lowerNode(n *graph.Node) error {
	if n.Domain != "" {
		return &UnsupportedError{n.Name, n.Op, "domain " + n.Domain + " is not supported"}
	}
	if len(n.Outputs) != 1 {
		return &UnsupportedError{n.Name, n.Op, fmt.Sprintf("%d outputs, want 1", len(n.Outputs))}
	}
	if n.Op == "Relu" && l.reluOf[n.Outputs[0]] != nil {
		return nil // fused into the convs that read it
	}
	if y := l.fusedAdd[n]; y != nil {
		l.values[n.Outputs[0]] = y // computed by the conv it was fused into
		return nil
	}
	ins := make([]*G.Node, len(n.Inputs))
	for i, v := range n.Inputs {
		if v == nil {
			continue
		}
		if i == 0 && n.Op == "Conv" && l.reluOf[v] != nil {
			v = l.reluOf[v] // conv(relu(x)) reads x and applies the Relu itself
		}
		x, ok := l.values[v]
		if !ok {
			return &UnsupportedError{n.Name, n.Op, fmt.Sprintf("input %q is neither an input, an initializer nor computed earlier", v.Name)}
		}
		ins[i] = x
	}
	var out *G.Node
	var err error
	switch n.Op {
	case "Conv":
		out, err = l.lowerConv(n, ins)
	case "Relu":
		out, err = lowerRelu(n, ins)
	case "Add":
		out, err = l.lowerAdd(n, ins)
	default:
		return &UnsupportedError{n.Name, n.Op, "op is not supported for training (Conv, Relu and Add are)"}
	}
	if err != nil {
		return err
	}
	l.values[n.Outputs[0]] = out
	return nil
}

func checkArity(n *graph.Node, ins []*G.Node, min, max int) error {
	if len(ins) < min || len(ins) > max {
		return &UnsupportedError{n.Name, n.Op, fmt.Sprintf("%d inputs, want %d..%d", len(ins), min, max)}
	}
	for i := 0; i < min; i++ {
		if ins[i] == nil {
			return &UnsupportedError{n.Name, n.Op, fmt.Sprintf("input %d is missing", i)}
		}
	}
	return nil
}

func noAttrs(n *graph.Node) error {
	if len(n.Attrs) > 0 {
		return &UnsupportedError{n.Name, n.Op, "unknown attribute " + n.Attrs[0].Name}
	}
	return nil
}

// lowerRelu: y = max(x, 0).
func lowerRelu(n *graph.Node, ins []*G.Node) (*G.Node, error) {
	if err := checkArity(n, ins, 1, 1); err != nil {
		return nil, err
	}
	if err := noAttrs(n); err != nil {
		return nil, err
	}
	return G.Rectify(ins[0])
}

// fusedRelus finds the Relus whose every reader is a Conv reading it as its
// input x (and that are not graph outputs): those convs apply the Relu
// themselves (kernels.Fuse.ReluIn, and reluIn in the backward), so the
// Relu's output is never stored. It maps each such output to its input.
func fusedRelus(g *graph.Graph) map[*graph.Value]*graph.Value {
	fusable := map[*graph.Value]bool{}
	for _, n := range g.Nodes {
		if n.Op == "Relu" && n.Domain == "" && len(n.Inputs) == 1 && n.Inputs[0] != nil &&
			len(n.Outputs) == 1 && len(n.Attrs) == 0 {
			fusable[n.Outputs[0]] = true
		}
	}
	for _, v := range g.Outputs {
		delete(fusable, v)
	}
	for _, n := range g.Nodes {
		for i, v := range n.Inputs {
			if fusable[v] && (n.Op != "Conv" || i != 0) {
				delete(fusable, v)
			}
		}
	}
	m := map[*graph.Value]*graph.Value{}
	for _, n := range g.Nodes {
		if n.Op == "Relu" && fusable[n.Outputs[0]] {
			m[n.Outputs[0]] = n.Inputs[0]
		}
	}
	return m
}

// fusableAdds finds the Adds (no attributes, two distinct inputs) one of
// whose inputs is a Conv output read by nothing else and not a graph
// output: the conv can add the other input itself (kernels.Fuse.Accumulate)
// and the sum is stored once. The second input is preferred (PixelCNN's
// h + block(h)).
func fusableAdds(g *graph.Graph) map[*graph.Value]fusableAdd {
	readers := map[*graph.Value]int{}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			readers[v]++
		}
	}
	for _, v := range g.Outputs {
		readers[v]++
	}
	convOut := map[*graph.Value]bool{}
	for _, n := range g.Nodes {
		if n.Op == "Conv" && len(n.Outputs) == 1 {
			convOut[n.Outputs[0]] = true
		}
	}
	m := map[*graph.Value]fusableAdd{}
	for _, n := range g.Nodes {
		if n.Op != "Add" || n.Domain != "" || len(n.Attrs) > 0 || len(n.Inputs) != 2 || len(n.Outputs) != 1 ||
			n.Inputs[0] == nil || n.Inputs[1] == nil || n.Inputs[0] == n.Inputs[1] {
			continue
		}
		for _, i := range []int{1, 0} {
			if v := n.Inputs[i]; convOut[v] && readers[v] == 1 {
				m[v] = fusableAdd{add: n, other: n.Inputs[1-i]}
				break
			}
		}
	}
	return m
}

// lowerAdd: y = a + b, same shapes (the DSL does not broadcast); an addOp
// with its own buffer under the kernels.
func (l *lowered) lowerAdd(n *graph.Node, ins []*G.Node) (*G.Node, error) {
	if err := checkArity(n, ins, 2, 2); err != nil {
		return nil, err
	}
	if err := noAttrs(n); err != nil {
		return nil, err
	}
	if !ins[0].Shape().Eq(ins[1].Shape()) {
		return nil, &UnsupportedError{n.Name, n.Op, fmt.Sprintf("shapes %v and %v differ (broadcasting is not supported)", ins[0].Shape(), ins[1].Shape())}
	}
	if l.kernels {
		op := &addOp{name: n.Name, y: outBuf{dt: l.dt, shape: ins[0].Shape().Clone()}}
		return G.ApplyOp(op, ins[0], ins[1])
	}
	return G.Add(ins[0], ins[1])
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
