package runtime

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// graphBuilder assembles small test graphs by value name.
type graphBuilder struct {
	g    *graph.Graph
	vals map[string]*graph.Value
}

func newGraphBuilder(opset int) *graphBuilder {
	return &graphBuilder{g: &graph.Graph{Name: "t", Opset: opset}, vals: map[string]*graph.Value{}}
}

// input declares a graph input; a negative dim is symbolic ("N").
func (b *graphBuilder) input(name string, dt graph.DType, shape ...int) {
	v := &graph.Value{Name: name, DType: dt, Shape: shape}
	for i, d := range shape {
		if d < 0 {
			if v.DimNames == nil {
				v.DimNames = make([]string, len(shape))
			}
			v.DimNames[i] = "N"
		}
	}
	b.vals[name] = v
	b.g.Inputs = append(b.g.Inputs, v)
}

func (b *graphBuilder) init(name string, t *graph.Tensor) {
	v := &graph.Value{Name: name, DType: t.DType, Shape: t.Shape, Const: t}
	b.vals[name] = v
	b.g.Inits = append(b.g.Inits, v)
}

// node adds op reading ins ("" for an omitted input) and writing outs.
func (b *graphBuilder) node(op string, attrs []graph.Attr, ins []string, outs ...string) {
	n := &graph.Node{Name: outs[0], Op: op, Attrs: attrs}
	for _, in := range ins {
		n.Inputs = append(n.Inputs, b.vals[in]) // nil for ""
	}
	for _, o := range outs {
		v := &graph.Value{Name: o, Producer: n}
		b.vals[o] = v
		n.Outputs = append(n.Outputs, v)
	}
	b.g.Nodes = append(b.g.Nodes, n)
}

func (b *graphBuilder) output(names ...string) {
	for _, name := range names {
		b.g.Outputs = append(b.g.Outputs, b.vals[name])
	}
}

func constNode(b *graphBuilder, name string, t *graph.Tensor) {
	b.node("Constant", []graph.Attr{{Name: "value", Type: graph.AttrTensor, T: t}}, nil, name)
}

func opsOf(g *graph.Graph) string {
	var s []string
	for _, n := range g.Nodes {
		s = append(s, n.Op)
	}
	return strings.Join(s, " ")
}

// TestFoldTorchPads: the subgraph torch.onnx 1.13 writes for F.pad's pads
// (PixelCNN++'s shifts) folds to one initializer, computed by the kernels.
func TestFoldTorchPads(t *testing.T) {
	t.Parallel()
	b := newGraphBuilder(13)
	b.input("x", graph.Float32, -1, 1, 2, 2)
	constNode(b, "pad", i64([]int{4}, 1, 2, 3, 4)) // (left, right, top, bottom)
	constNode(b, "extlen", i64([]int{1}, 4))
	b.node("ConstantOfShape", []graph.Attr{{Name: "value", Type: graph.AttrTensor, T: i64([]int{1}, 0)}}, []string{"extlen"}, "ext")
	b.node("Concat", []graph.Attr{attrInt("axis", 0)}, []string{"pad", "ext"}, "cat")
	constNode(b, "pairs", i64([]int{2}, -1, 2))
	b.node("Reshape", nil, []string{"cat", "pairs"}, "r")
	constNode(b, "s", i64([]int{1}, -1))
	constNode(b, "e", i64([]int{1}, math.MinInt64))
	constNode(b, "a", i64([]int{1}, 0))
	b.node("Slice", nil, []string{"r", "s", "e", "a", "s"}, "flip")
	b.node("Transpose", []graph.Attr{attrInts("perm", 1, 0)}, []string{"flip"}, "tr")
	constNode(b, "flat", i64([]int{1}, -1))
	b.node("Reshape", nil, []string{"tr", "flat"}, "r2")
	b.node("Cast", []graph.Attr{attrInt("to", int64(graph.Int64))}, []string{"r2"}, "pads")
	b.node("Relu", nil, []string{"x"}, "y")
	b.output("y", "pads")
	before := opsOf(b.g)

	f, err := Fold(b.g)
	if err != nil {
		t.Fatal(err)
	}
	if got := opsOf(f); got != "Relu" {
		t.Errorf("folded graph runs %q, want only Relu", got)
	}
	if got := opsOf(b.g); got != before {
		t.Errorf("Fold modified its input: %q, was %q", got, before)
	}
	pads := f.Outputs[1]
	if pads.Const == nil {
		t.Fatal("pads is not an initializer of the folded graph")
	}
	expectClose(t, pads.Const, i64([]int{8}, 0, 0, 3, 1, 0, 0, 4, 2))
	if err := f.Validate(); err != nil {
		t.Errorf("folded graph: %v", err)
	}
}

// TestFoldShapeChunk: torch's chunk(2, 1) on a [N,4,2,2] activation,
// Shape → Gather(1) → Div(2) → Unsqueeze → Slice's end, folds although N is
// symbolic, because dim 1 is known; Shape → Gather(0) (N itself) does not.
func TestFoldShapeChunk(t *testing.T) {
	t.Parallel()
	b := newGraphBuilder(13)
	b.input("x", graph.Float32, -1, 4, 2, 2)
	b.init("w", f32([]int{4, 4, 1, 1}, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1))
	b.node("Conv", []graph.Attr{attrInts("kernel_shape", 1, 1)}, []string{"x", "w"}, "h")
	b.node("Shape", nil, []string{"h"}, "shape")
	constNode(b, "one", i64([]int{}, 1))
	b.node("Gather", []graph.Attr{attrInt("axis", 0)}, []string{"shape", "one"}, "c")
	constNode(b, "two", i64([]int{}, 2))
	b.node("Div", nil, []string{"c", "two"}, "half")
	constNode(b, "ax0", i64([]int{1}, 0))
	b.node("Unsqueeze", nil, []string{"half", "ax0"}, "end")
	constNode(b, "zero", i64([]int{1}, 0))
	b.node("Slice", nil, []string{"h", "zero", "end", "one1"}, "top")
	constNode(b, "zeroS", i64([]int{}, 0))
	b.node("Gather", nil, []string{"shape", "zeroS"}, "n")
	b.output("top", "n")
	// Slice's axes input: a 1-D [1].
	b.init("one1", i64([]int{1}, 1))
	b.g.Nodes[len(b.g.Nodes)-3].Inputs[3] = b.vals["one1"]

	f, err := Fold(b.g)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := opsOf(f), "Conv Shape Slice Gather"; got != want {
		t.Errorf("folded graph runs %q, want %q", got, want)
	}
	x := f32([]int{2, 4, 2, 2}, seq(32)...)
	out, err := Run(context.Background(), b.g, map[string]*graph.Tensor{"x": x})
	if err != nil {
		t.Fatal(err)
	}
	want := graph.NewFloat32([]int{2, 2, 2, 2}, nil)
	for n := 0; n < 2; n++ {
		copy(want.F32[n*8:(n+1)*8], x.F32[n*16:n*16+8])
	}
	expectClose(t, out["top"], want)
	expectClose(t, out["n"], i64([]int{}, 2))

	// Without the output n, the Shape feeds nothing that runs: the program
	// drops it.
	b.g.Outputs = b.g.Outputs[:1]
	p, err := Compile(b.g)
	if err != nil {
		t.Fatal(err)
	}
	var ran []string
	for _, st := range p.steps {
		ran = append(ran, st.node.Op)
	}
	if got := strings.Join(ran, " "); got != "Conv Slice" {
		t.Errorf("program runs %q, want \"Conv Slice\"", got)
	}
}

// TestFoldErrors: a constant subgraph that cannot be evaluated fails Compile
// with one line naming node, op and input.
func TestFoldErrors(t *testing.T) {
	t.Parallel()
	b := newGraphBuilder(13)
	b.input("x", graph.Float32, -1, 3)
	constNode(b, "shape", i64([]int{2}, 1, 3))
	constNode(b, "idx", i64([]int{1}, 2))
	b.node("Gather", nil, []string{"shape", "idx"}, "bad")
	b.node("Reshape", nil, []string{"x", "bad"}, "y")
	b.output("y")
	_, err := Compile(b.g)
	if err == nil {
		t.Fatal("no error")
	}
	want := `runtime: node "bad" (op Gather): input indices: index 2 is out of range [-2, 1] for an axis of size 2`
	if err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}

	// The same mistake on a Shape of an activation whose batch dim is
	// symbolic: the dims Gather picks from are known, so Compile refuses it
	// before any run.
	b = newGraphBuilder(13)
	b.input("x", graph.Float32, -1, 4, 2, 2)
	b.node("Shape", nil, []string{"x"}, "s")
	constNode(b, "i", i64([]int{}, 7))
	b.node("Gather", nil, []string{"s", "i"}, "bad")
	b.node("Unsqueeze", []graph.Attr{attrInts("axes", 0)}, []string{"bad"}, "u")
	b.node("Reshape", nil, []string{"x", "u"}, "y")
	b.output("y")
	b.g.Opset = 11 // Unsqueeze's axes attribute
	_, err = Compile(b.g)
	want = `runtime: node "bad" (op Gather): input indices: index 7 is out of range [-4, 3] for an axis of size 4`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
