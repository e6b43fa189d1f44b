package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

func TestCompileUnsupported(t *testing.T) {
	t.Parallel()
	x := f32([]int{2}, 1, 2)
	tests := []struct {
		name  string
		g     *graph.Graph
		words []string // the error must contain each
	}{
		{"op outside the set", opGraph("Selu", 13, nil, in(x)), []string{"unsupported", "Selu", `"n"`, "opset 13"}},
		{"unknown attribute", opGraph("Relu", 13, []graph.Attr{attrInt("mask_type", 1)}, in(x)), []string{"unsupported", "Relu", `"n"`, `"mask_type"`}},
		{"attribute of a later opset", opGraph("Reshape", 13, []graph.Attr{attrInt("allowzero", 0)}, in(x), cst(i64([]int{1}, 2))),
			[]string{"unsupported", "Reshape", `"allowzero"`, "opset 13"}},
		{"legacy attribute at a new opset", opGraph("Add", 13, []graph.Attr{attrInt("broadcast", 1)}, in(x), in(x)), []string{"unsupported", `"broadcast"`}},
		{"opset too new", opGraph("Relu", graph.MaxOpset+1, nil, in(x)), []string{"unsupported", "opset"}},
		{"other domain", func() *graph.Graph {
			g := opGraph("Relu", 13, nil, in(x))
			g.Nodes[0].Domain = "com.microsoft"
			return g
		}(), []string{"unsupported", "com.microsoft"}},
		{"auto_pad value", opGraph("Conv", 13, []graph.Attr{attrStr("auto_pad", "SAME")}, in(f32([]int{1, 1, 1, 1}, 1)), in(f32([]int{1, 1, 1, 1}, 1))),
			[]string{"unsupported", `"auto_pad"`}},
		{"Conv with 4 spatial dims", opGraph("Conv", 13, nil, in(f32([]int{1, 1, 1, 1, 1, 1}, 1)), cst(f32([]int{1, 1, 1, 1, 1, 1}, 1))),
			[]string{"unsupported", "spatial"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Compile(tc.g)
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Fatalf("Compile: %v, want *UnsupportedError", err)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestCompileOpsetZeroIs13(t *testing.T) {
	t.Parallel()
	p, err := Compile(opGraph("Softmax", 0, nil, in(f32([]int{1, 2}, 1, 2))))
	if err != nil {
		t.Fatal(err)
	}
	if p.Opset() != 13 {
		t.Fatalf("opset %d, want 13", p.Opset())
	}
}

// symGraph is Add over two inputs declared float32[N,3] and float32[N,1].
func symGraph() *graph.Graph {
	g := opGraph("Add", 13, nil, in(f32([]int{2, 3}, seq(6)...)), in(f32([]int{2, 1}, 1, 2)))
	g.Inputs[0].Shape, g.Inputs[0].DimNames = []int{-1, 3}, []string{"N", ""}
	g.Inputs[1].Shape, g.Inputs[1].DimNames = []int{-1, 1}, []string{"N", ""}
	return g
}

func TestRunInputChecks(t *testing.T) {
	t.Parallel()
	p, err := Compile(symGraph())
	if err != nil {
		t.Fatal(err)
	}
	ok0, ok1 := f32([]int{4, 3}, make([]float32, 12)...), f32([]int{4, 1}, make([]float32, 4)...)
	tests := []struct {
		name   string
		inputs map[string]*graph.Tensor
		input  string
		words  string
	}{
		{"missing", map[string]*graph.Tensor{"in0": ok0}, "in1", "missing"},
		{"unknown", map[string]*graph.Tensor{"in0": ok0, "in1": ok1, "extra": ok1}, "extra", "not an input"},
		{"dtype", map[string]*graph.Tensor{"in0": ok0, "in1": f64([]int{4, 1}, 0, 0, 0, 0)}, "in1", "dtype float64"},
		{"rank", map[string]*graph.Tensor{"in0": f32([]int{12}, make([]float32, 12)...), "in1": ok1}, "in0", "rank"},
		{"fixed dim", map[string]*graph.Tensor{"in0": f32([]int{4, 2}, make([]float32, 8)...), "in1": ok1}, "in0", "dim 1 is 2, want 3"},
		{"symbolic dim bound twice", map[string]*graph.Tensor{"in0": ok0, "in1": f32([]int{2, 1}, 0, 0)}, "in1", "bound N to 4"},
		{"data does not match shape", map[string]*graph.Tensor{"in0": ok0, "in1": &graph.Tensor{DType: graph.Float32, Shape: []int{4, 1}}}, "in1", "values"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Run(context.Background(), tc.inputs)
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != tc.input || !strings.Contains(err.Error(), tc.words) {
				t.Fatalf("got %v, want *InputError for %s containing %q", err, tc.input, tc.words)
			}
		})
	}
	// Any batch size binds N.
	for _, n := range []int{1, 7} {
		out, err := p.Run(context.Background(), map[string]*graph.Tensor{
			"in0": f32([]int{n, 3}, make([]float32, 3*n)...), "in1": f32([]int{n, 1}, make([]float32, n)...)})
		if err != nil || !sameShape(out["out"].Shape, []int{n, 3}) {
			t.Fatalf("batch %d: %v %v", n, out, err)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Run(ctx, opGraph("Relu", 13, nil, in(f32([]int{1}, 1))), map[string]*graph.Tensor{"in0": f32([]int{1}, 1)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestOutputsAreFresh: outputs that are views of inputs or constants are
// copied, so modifying them changes neither the caller's data nor the model.
func TestOutputsAreFresh(t *testing.T) {
	t.Parallel()
	x := f32([]int{2}, 1, 2)
	out := mustRunOp(t, "Identity", 13, nil, in(x))
	out.F32[0] = 99
	if x.F32[0] != 1 {
		t.Error("Identity output aliases the input")
	}
	c := f32([]int{1}, 5)
	g := opGraph("Reshape", 13, nil, cst(c), cst(i64([]int{1}, 1)))
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		res, err := p.Run(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if res["out"].F32[0] != 5 {
			t.Fatalf("run %d: got %v, want 5: an earlier caller changed the initializer", i, res["out"].F32[0])
		}
		res["out"].F32[0] = 42
	}
}

func TestProgramConcurrentRuns(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(testenv.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	x := pixels(3, 11)
	want, err := p.Run(context.Background(), map[string]*graph.Tensor{graph.InputName: x})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, err := p.Run(context.Background(), map[string]*graph.Tensor{graph.InputName: x})
			if err == nil {
				err = testenv.CloseTensor(got[graph.OutputName], want[graph.OutputName], 0, 0)
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// TestBufferRecycling: a dead value's buffer is reused by later nodes, but
// never while a view of it (Reshape) is still to be read or is an output.
func TestBufferRecycling(t *testing.T) {
	t.Parallel()
	x := f32([]int{2, 3}, -3, -2, -1, 1, 2, 3)
	xv := &graph.Value{Name: "x", DType: graph.Float32, Shape: []int{2, 3}}
	shape := &graph.Value{Name: "shape", DType: graph.Int64, Shape: []int{2}, Const: i64([]int{2}, 3, 2)}
	g := &graph.Graph{Name: "recycle", Opset: 13, Inputs: []*graph.Value{xv}, Inits: []*graph.Value{shape}}
	node := func(op string, ins ...*graph.Value) *graph.Value {
		n := &graph.Node{Name: op + fmt.Sprint(len(g.Nodes)), Op: op, Inputs: ins}
		v := &graph.Value{Name: n.Name, Producer: n}
		n.Outputs = []*graph.Value{v}
		g.Nodes = append(g.Nodes, n)
		return v
	}
	a := node("Relu", xv)                               // [0 0 0 1 2 3]
	view := node("Reshape", a, shape)                   // a's buffer, read at the very end
	outView := node("Reshape", node("Relu", xv), shape) // graph output, a view
	_ = node("Sigmoid", xv)                             // dead value: recycled at once
	b := node("Relu", node("Sub", xv, xv))              // zeros, same size as a
	c := node("Add", b, node("Tanh", b))                // more same-size buffers
	sum := node("Add", node("Reshape", c, shape), view)
	g.Outputs = []*graph.Value{sum, outView}
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		got, err := p.Run(context.Background(), map[string]*graph.Tensor{"x": x})
		if err != nil {
			t.Fatal(err)
		}
		want := f32([]int{3, 2}, 0, 0, 0, 1, 2, 3)
		expectClose(t, got[sum.Name], want)
		expectClose(t, got[outView.Name], want)
	}
}
