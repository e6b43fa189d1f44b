package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// arg is one input of a single-node test graph: a graph input, or an
// initializer when constant is set; a nil tensor is an omitted input.
type arg struct {
	t        *graph.Tensor
	constant bool
}

func in(t *graph.Tensor) arg  { return arg{t: t} }
func cst(t *graph.Tensor) arg { return arg{t: t, constant: true} }

// opGraph builds a graph of one node op at opset over args.
func opGraph(op string, opset int, attrs []graph.Attr, args ...arg) *graph.Graph {
	g := &graph.Graph{Name: op, Opset: opset}
	n := &graph.Node{Name: "n", Op: op, Attrs: attrs}
	for i, a := range args {
		if a.t == nil {
			n.Inputs = append(n.Inputs, nil)
			continue
		}
		v := &graph.Value{Name: fmt.Sprintf("in%d", i), DType: a.t.DType, Shape: append([]int{}, a.t.Shape...)}
		if a.constant {
			v.Const = a.t
			g.Inits = append(g.Inits, v)
		} else {
			g.Inputs = append(g.Inputs, v)
		}
		n.Inputs = append(n.Inputs, v)
	}
	out := &graph.Value{Name: "out", Producer: n}
	n.Outputs = []*graph.Value{out}
	g.Nodes = []*graph.Node{n}
	g.Outputs = []*graph.Value{out}
	return g
}

// runOp runs a one-node graph and returns its output.
func runOp(op string, opset int, attrs []graph.Attr, args ...arg) (*graph.Tensor, error) {
	g := opGraph(op, opset, attrs, args...)
	feeds := map[string]*graph.Tensor{}
	for i, a := range args {
		if a.t != nil && !a.constant {
			feeds[fmt.Sprintf("in%d", i)] = a.t
		}
	}
	out, err := Run(context.Background(), g, feeds)
	if err != nil {
		return nil, err
	}
	return out["out"], nil
}

func mustRunOp(t *testing.T, op string, opset int, attrs []graph.Attr, args ...arg) *graph.Tensor {
	t.Helper()
	out, err := runOp(op, opset, attrs, args...)
	if err != nil {
		t.Fatalf("%s: %v", op, err)
	}
	return out
}

func f32(shape []int, v ...float32) *graph.Tensor { return graph.NewFloat32(shape, v) }
func f64(shape []int, v ...float64) *graph.Tensor {
	return &graph.Tensor{DType: graph.Float64, Shape: shape, F64: v}
}
func ints(dt graph.DType, shape []int, v ...int64) *graph.Tensor {
	return &graph.Tensor{DType: dt, Shape: shape, I64: v}
}
func i64(shape []int, v ...int64) *graph.Tensor { return ints(graph.Int64, shape, v...) }

// randF32 returns a tensor of distinct-ish values in [-1, 1).
func randF32(r *rand.Rand, shape ...int) *graph.Tensor {
	t := graph.NewFloat32(shape, nil)
	for i := range t.F32 {
		t.F32[i] = float32(r.Float64()*2 - 1)
	}
	return t
}

func attrInt(name string, v int64) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}
func attrInts(name string, v ...int64) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}
func attrFloat(name string, v float32) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrFloat, F: v}
}
func attrStr(name, v string) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrString, S: v}
}

// expectClose fails unless got matches want within the conformance
// tolerance (the same bar the backend suite sets).
func expectClose(t *testing.T, got, want *graph.Tensor) {
	t.Helper()
	if err := testenv.CloseTensor(got, want, conformanceAtol, conformanceRtol); err != nil {
		t.Fatal(err)
	}
}

// opCase is a one-node run and its expected output.
type opCase struct {
	name  string
	op    string
	opset int
	attrs []graph.Attr
	args  []arg
	want  *graph.Tensor
}

// runOpCases runs each case in parallel and compares with want.
func runOpCases(t *testing.T, cases []opCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			expectClose(t, mustRunOp(t, tc.op, tc.opset, tc.attrs, tc.args...), tc.want)
		})
	}
}

// opErrCase is a one-node run that must fail, and a piece of its message.
type opErrCase struct {
	name  string
	op    string
	opset int
	attrs []graph.Attr
	args  []arg
	want  string
}

// runOpErrCases runs each case in parallel and checks its error.
func runOpErrCases(t *testing.T, cases []opErrCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := runOp(tc.op, tc.opset, tc.attrs, tc.args...)
			expectNodeError(t, err, tc.op, tc.want)
		})
	}
}

// expectNodeError fails unless err is one line naming node "n", op and
// containing want (bad inputs are reported that way, never by a panic).
func expectNodeError(t *testing.T, err error, op, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	msg := err.Error()
	if !strings.Contains(msg, want) || !strings.Contains(msg, `node "n" (op `+op) || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming node \"n\", op %s and %q", msg, op, want)
	}
}
