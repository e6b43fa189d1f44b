package layers

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// classes is the one table of which ONNX ops (default domain) each layer
// class accepts, and the function that checks a node against the class. A
// node of an op not listed here, or one its class refuses, is routed to
// the generic interpreter with the reason. The Gate class has no op of its
// own: the gate rule (fuse.go) makes one from Tanh, Sigmoid and Mul layers.
var classes = map[string]struct {
	kind  Kind
	build func(b *builder, n *graph.Node) (*Layer, string)
}{
	"Conv":     {Conv, (*builder).conv},
	"Relu":     {Unary, (*builder).unary},
	"Sigmoid":  {Unary, (*builder).unary},
	"Tanh":     {Unary, (*builder).unary},
	"Identity": {Unary, (*builder).unary},
	"Add":      {Binary, (*builder).binary},
	"Sub":      {Binary, (*builder).binary},
	"Mul":      {Binary, (*builder).binary},
	"Div":      {Binary, (*builder).binary},
	"Slice":    {Slice, (*builder).slice},
}

// Classes returns the ops the layer classes accept, by class.
func Classes() map[Kind][]string {
	m := map[Kind][]string{}
	for _, op := range []string{"Conv", "Relu", "Sigmoid", "Tanh", "Identity", "Add", "Sub", "Mul", "Div", "Slice"} {
		m[classes[op].kind] = append(m[classes[op].kind], op)
	}
	m[Embed] = []string{"Gather", "Unsqueeze", "Reshape", "Identity", "Add"}
	m[Conv] = append(m[Conv], "Pad", "Slice")
	return m
}

// classify makes n a layer of its class, or routes it to the generic
// interpreter with the reason.
func (b *builder) classify(n *graph.Node) {
	r := b.route[n]
	r.Path = PathGeneric
	c, ok := classes[n.Op]
	switch {
	case n.Domain != "" && n.Domain != "ai.onnx":
		r.Reason = fmt.Sprintf("domain %q is outside the layer classes", n.Domain)
		return
	case len(n.Outputs) != 1 || n.Outputs[0] == nil:
		r.Reason = fmt.Sprintf("%d outputs (layers have one)", len(n.Outputs))
		return
	case n.Outputs[0].DType != graph.Float32 && n.Outputs[0].DType != graph.Undefined:
		r.Reason = fmt.Sprintf("output %s is %s (layers are float32)", n.Outputs[0].Name, n.Outputs[0].DType)
		return
	}
	// Nodes that are no layer of their own: a conditioning lookup, a zero
	// pad before convs, a crop of a conv's output.
	var l *Layer
	why := ""
	switch n.Op {
	case "Gather", "Unsqueeze", "Reshape", "Identity":
		var done bool
		if done, why = b.condNode(n); done {
			return
		}
	case "Pad":
		var done bool
		if done, why = b.padNode(n); done {
			return
		}
	case "Slice":
		var done bool
		if done, why = b.crop(n); done {
			return
		}
	case "Add":
		var found bool
		l, why, found = b.embed(n)
		if found && l == nil {
			r.Reason = why
			return
		}
	}
	if l == nil && !ok {
		r.Reason = "op outside the layer classes"
		if why != "" {
			r.Reason = why
		}
		return
	}
	if l == nil {
		if l, why = c.build(b, n); l == nil {
			r.Reason = why
			return
		}
	}
	r.Path = PathLayer
	l.Node, l.Residual, l.AlsoRelu = n, -1, -1
	var ch int
	x := l.In[0]
	if x < 0 {
		x = l.In[1]
	}
	switch {
	case l.Kind == Conv:
		ch = l.Conv.O
	case l.Kind == Slice:
		ch = l.Slice[1] - l.Slice[0]
	default:
		ch = b.p.Values[x].C
	}
	l.Out = b.newValue(n.Outputs[0], ch, len(b.layers))
	if hw, ok := b.size[x]; ok {
		if l.Kind == Conv {
			oh, ow, err := l.Conv.OutSize(hw[0], hw[1])
			ok = err == nil
			hw = [2]int{oh, ow}
		}
		if ok {
			b.size[l.Out] = hw
		}
	}
	b.layers = append(b.layers, l)
}

// unary classes Relu, Sigmoid, Tanh and Identity of one activation, without
// attributes (Relu's consumed_inputs of opset < 6 is not one).
func (b *builder) unary(n *graph.Node) (*Layer, string) {
	if len(n.Inputs) != 1 {
		return nil, fmt.Sprintf("%d inputs, want 1", len(n.Inputs))
	}
	if len(n.Attrs) > 0 {
		return nil, "attribute " + n.Attrs[0].Name
	}
	x, ok := b.activation(n.Inputs[0])
	if !ok {
		return nil, fmt.Sprintf("input %s is not a layer value", n.Inputs[0].Name)
	}
	return &Layer{Kind: Unary, Op: n.Op, In: []int{x}}, ""
}

// binary classes Add, Sub, Mul and Div (numpy broadcasting, opset >= 7: no
// attributes) of two activations with the same channels, or of an
// activation and a float32 constant that broadcasts to (1,C,H,W): a scalar,
// a per-channel (C,1,1), a per-position (H,W) or a full (C,H,W) tensor.
// Activations of different shapes (a per-image vector added to an image)
// are not a layer.
func (b *builder) binary(n *graph.Node) (*Layer, string) {
	if len(n.Inputs) != 2 || n.Inputs[0] == nil || n.Inputs[1] == nil {
		return nil, "want 2 inputs"
	}
	if len(n.Attrs) > 0 {
		return nil, "attribute " + n.Attrs[0].Name + " (legacy broadcast)"
	}
	l := &Layer{Kind: Binary, Op: n.Op, In: []int{-1, -1}}
	for i, v := range n.Inputs {
		if id, ok := b.activation(v); ok {
			l.In[i] = id
			continue
		}
		c := b.p.Consts[v]
		if c == nil {
			return nil, fmt.Sprintf("input %s is not a layer value", v.Name)
		}
		if c.DType != graph.Float32 || len(c.Shape) > 4 {
			return nil, fmt.Sprintf("constant %s is %s%v; want float32 of rank <= 4", v.Name, c.DType, c.Shape)
		}
		l.Const, l.ConstV, l.ConstFirst = c, v, i == 0
	}
	switch {
	case l.In[0] < 0 && l.In[1] < 0:
		return nil, "both inputs are constants"
	case l.In[0] >= 0 && l.In[1] >= 0:
		a, c := b.p.Values[l.In[0]], b.p.Values[l.In[1]]
		if a.C != c.C || !sameKnown(n.Inputs[0].Shape, n.Inputs[1].Shape) {
			return nil, fmt.Sprintf("inputs %s and %s differ in shape (%s, %s): broadcast between activations",
				a.V.Name, c.V.Name, a.V.TypeString(), c.V.TypeString())
		}
	default:
		x := l.In[0]
		if x < 0 {
			x = l.In[1]
		}
		if err := broadcasts(l.Const.Shape, b.p.Values[x].C, -1, -1); err != nil {
			return nil, err.Error()
		}
	}
	return l, ""
}

// sameKnown reports whether two shapes agree wherever both are known.
func sameKnown(a, b []int) bool {
	if a == nil || b == nil {
		return true
	}
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] >= 0 && b[i] >= 0 && a[i] != b[i] {
			return false
		}
	}
	return true
}

// broadcasts checks that a constant of shape s broadcasts to one image
// (1,c,h,w) without growing it; h or w < 0 are not checked yet.
func broadcasts(s []int, c, h, w int) error {
	p := padShape(s, 4)
	want := [4]int{1, c, h, w}
	for d := range p {
		if p[d] != 1 && want[d] >= 0 && p[d] != want[d] {
			return fmt.Errorf("constant of shape %v does not broadcast to one (%d,%d,%d) image", s, c, h, w)
		}
	}
	return nil
}
