package graph

import (
	"strings"
	"testing"
)

// tailGraph is pixels (N,1,4,4) → Conv (q=3 outputs) → the nodes tail
// builds, at opset.
func tailGraph(t *testing.T, opset int, tail func(logits *Value) []*Node) (*Graph, *Value) {
	t.Helper()
	b := NewBuilder("tail", 1)
	x := b.Input("pixels", 1, 4, 4)
	logits := b.Conv(x, ConvSpec{Name: "logits", Out: 3, Kernel: 1})
	b.Output("logits", logits)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	g.Opset = opset
	g.Outputs = nil
	out := logits
	for _, n := range tail(logits) {
		g.Nodes = append(g.Nodes, n)
		out = n.Outputs[0]
	}
	g.Outputs = []*Value{out}
	return g, logits
}

func node(op string, in *Value, attrs ...Attr) *Node {
	n := &Node{Name: op + "_" + in.Name, Op: op, Inputs: []*Value{in}, Attrs: attrs}
	n.Outputs = []*Value{{Name: n.Name + "_out", DType: Float32, Producer: n}}
	return n
}

func chain(first *Value, mk ...func(*Value) *Node) []*Node {
	var ns []*Node
	v := first
	for _, f := range mk {
		n := f(v)
		ns = append(ns, n)
		v = n.Outputs[0]
	}
	return ns
}

func op(name string, attrs ...Attr) func(*Value) *Node {
	return func(v *Value) *Node { return node(name, v, attrs...) }
}

func axis(a int64) Attr    { return Attr{Name: "axis", Type: AttrInt, I: a} }
func perm(p ...int64) Attr { return Attr{Name: "perm", Type: AttrInts, Ints: p} }

func TestSoftmaxTail(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		opset int
		tail  []func(*Value) *Node
		kind  OutputKind
		err   string // "" when the logits are found
		self  bool   // the output is its own logits
	}{
		{name: "no tail", opset: 13, self: true},
		{name: "softmax axis 1", opset: 13, tail: []func(*Value) *Node{op("Softmax", axis(1))}, kind: Probs},
		{name: "softmax axis -3", opset: 17, tail: []func(*Value) *Node{op("Softmax", axis(-3))}, kind: Probs},
		{name: "log-softmax axis 1", opset: 13, tail: []func(*Value) *Node{op("LogSoftmax", axis(1))}, kind: LogProbs},
		{name: "identity after softmax", opset: 13, tail: []func(*Value) *Node{op("Softmax", axis(1)), op("Identity")}, kind: Probs},
		// Softmax's default axis is -1 from opset 13: the width, not the levels.
		{name: "softmax default axis", opset: 13, tail: []func(*Value) *Node{op("Softmax")}, err: "axis -1"},
		// Before opset 13 axis 1 flattens (Q,H,W) and normalizes over all of it.
		{name: "softmax axis 1 opset 11", opset: 11, tail: []func(*Value) *Node{op("Softmax", axis(1))}, err: "opset 11"},
		{name: "transposed opset 11", opset: 11, kind: Probs, tail: []func(*Value) *Node{
			op("Transpose", perm(0, 3, 2, 1)), op("Softmax", axis(3)), op("Transpose", perm(0, 3, 2, 1))}},
		{name: "transposed log-softmax", opset: 13, kind: LogProbs, tail: []func(*Value) *Node{
			op("Transpose", perm(0, 2, 3, 1)), op("LogSoftmax", axis(-1)), op("Transpose", perm(0, 3, 1, 2))}},
		{name: "transposed, wrong inverse", opset: 11, tail: []func(*Value) *Node{
			op("Transpose", perm(0, 2, 3, 1)), op("Softmax", axis(3)), op("Transpose", perm(0, 2, 3, 1))}, err: "does not invert"},
		{name: "transposed, softmax over height", opset: 11, tail: []func(*Value) *Node{
			op("Transpose", perm(0, 3, 1, 2)), op("Softmax", axis(3)), op("Transpose", perm(0, 2, 3, 1))}, err: "channel"},
		{name: "transpose alone", opset: 13, tail: []func(*Value) *Node{op("Transpose", perm(0, 1, 3, 2))}, self: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g, logits := tailGraph(t, c.opset, func(v *Value) []*Node { return chain(v, c.tail...) })
			got, kind, err := SoftmaxTail(g)
			switch {
			case c.err != "":
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want one containing %q", err, c.err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			want := logits
			if c.self {
				want = g.Outputs[0]
			}
			if got != want || kind != c.kind {
				t.Errorf("got %s (%v), want %s (%v)", got.Name, kind, want.Name, c.kind)
			}
		})
	}
}

func TestLevels(t *testing.T) {
	t.Parallel()
	g, logits := tailGraph(t, 13, func(v *Value) []*Node { return chain(v, op("Softmax", axis(1))) })
	if q, err := Levels(g); err != nil || q != 3 {
		t.Errorf("Levels = %d, %v; want 3 from the logits' shape", q, err)
	}
	logits.Shape = []int{-1, -1, 4, 4} // unknown: read the conv's output channels
	if q, err := Levels(g); err != nil || q != 3 {
		t.Errorf("Levels = %d, %v; want 3 from the conv weight", q, err)
	}
	g.Config = &Config{Levels: 3}
	if q, err := Levels(g); err != nil || q != 3 {
		t.Errorf("Levels = %d, %v; want 3 from the config", q, err)
	}
	g.Config.Levels = 4
	if _, err := Levels(g); err == nil || !strings.Contains(err.Error(), "config says 4 levels") {
		t.Errorf("config 4 vs 3 channels: err = %v", err)
	}
}
