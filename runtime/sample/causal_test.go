package sample

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func TestCachedOnMulMaskedGraph(t *testing.T) {
	t.Parallel()
	for _, q := range []int{4, 256} {
		g := mulMasked(t, sized(q, 7, 8, 21))
		if err := Prove(g); err != nil {
			t.Fatalf("q=%d: %v", q, err)
		}
		checkCachedEqualsNaive(t, g, Options{N: 3, Seed: 5})
	}
}

func TestProveRefusesLeaks(t *testing.T) {
	t.Parallel()
	c := sized(4, 8, 8, 3)
	for _, tc := range []struct {
		name     string
		g        *graph.Graph
		node     string
		row, col int
		off      graph.Offset
	}{
		{"first conv sees its own pixel", leaky(t, c, "in", 3, 3), "in", 3, 3, graph.Offset{}},
		{"first conv sees the next pixel", leaky(t, c, "in", 3, 4), "in", 3, 4, graph.Offset{Dy: 0, Dx: 1}},
		{"3x3 conv sees the row below", leaky(t, c, "res01/b", 2, 1), "res01/b", 2, 1, graph.Offset{Dy: 1, Dx: 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Prove(tc.g)
			var ce *CausalityError
			if !errors.As(err, &ce) {
				t.Fatalf("Prove = %v, want a *CausalityError", err)
			}
			if ce.Node != tc.node || ce.Row != tc.row || ce.Col != tc.col || ce.Offset != tc.off {
				t.Errorf("got %v; want node %s tap (%d,%d) offset %v", ce, tc.node, tc.row, tc.col, tc.off)
			}
			res, err := Sample(context.Background(), tc.g, Options{N: 1, Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Method != Naive || !strings.Contains(res.Fallback, tc.node) {
				t.Errorf("auto ran %v with fallback %q; want naive naming %s", res.Method, res.Fallback, tc.node)
			}
			if _, err := Sample(context.Background(), tc.g, Options{N: 1, Method: Cached}); !errors.As(err, &ce) {
				t.Errorf("--method cached: %v, want the causality error", err)
			}
		})
	}
}

// withSoftmax appends Softmax(axis) to g's output.
func withSoftmax(g *graph.Graph, axis int64) *graph.Graph {
	out := g.Outputs[0]
	sm := &graph.Value{Name: "probs", DType: graph.Float32, Shape: out.Shape}
	n := &graph.Node{Name: "softmax", Op: "Softmax", Inputs: []*graph.Value{out}, Outputs: []*graph.Value{sm},
		Attrs: []graph.Attr{{Name: "axis", Type: graph.AttrInt, I: axis}}}
	sm.Producer = n
	g.Nodes = append(g.Nodes, n)
	g.Outputs = []*graph.Value{sm}
	return g
}

func TestSoftmaxTail(t *testing.T) {
	t.Parallel()
	// Over the width: not a distribution over levels, refused.
	g := withSoftmax(mustPixelCNN(t, sized(4, 6, 6, 1)), -1)
	var ue *UnsupportedError
	if err := Prove(g); !errors.As(err, &ue) || ue.Node != "softmax" {
		t.Fatalf("Prove = %v, want *UnsupportedError naming softmax", err)
	}
	// Over the levels: the samplers work on the logits before it.
	g = withSoftmax(mustPixelCNN(t, sized(4, 6, 6, 1)), 1)
	if geo, err := GeometryOf(g); err != nil || !geo.Probs {
		t.Fatalf("GeometryOf = %+v, %v; want Probs", geo, err)
	}
	checkCachedEqualsNaive(t, g, Options{N: 3, Seed: 3})
}

func TestCompletion(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(4, 8, 6, 31))
	px := 48
	known := make([]int32, 3*px)
	for i := range known {
		known[i] = int32(i*7%5) % 4
	}
	var res [2]*Result
	for k, m := range []Method{Naive, Cached} {
		r, err := Complete(context.Background(), g, known, 3, Options{Seed: 9, Method: m})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			for p := 0; p < 3*6; p++ {
				if r.Levels[i*px+p] != known[i*px+p] {
					t.Fatalf("%v: image %d pixel %d: kept level changed", m, i, p)
				}
			}
		}
		res[k] = r
	}
	if flips := compareImages(t, "completion cached vs naive", res[1], res[0]); flips != 0 {
		t.Errorf("%d boundary flips", flips)
	}
	// Completing from 0 rows is sampling: same draws, same images.
	s, err := Sample(context.Background(), g, Options{N: 3, Seed: 9, Method: Cached})
	if err != nil {
		t.Fatal(err)
	}
	c0, err := Complete(context.Background(), g, known, 0, Options{Seed: 9, Method: Cached})
	if err != nil {
		t.Fatal(err)
	}
	compareImages(t, "complete 0 rows vs sample", c0, s)
}

func TestProgressAndCancel(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(4, 5, 5, 1))
	for _, m := range []Method{Naive, Cached} {
		last, calls := 0, 0
		_, err := Sample(context.Background(), g, Options{N: 9, Method: m, Progress: func(done, total int) {
			if done <= last || total != 25 {
				t.Errorf("%v: progress %d/%d after %d", m, done, total, last)
			}
			last = done
			calls++
		}})
		if err != nil || last != 25 {
			t.Errorf("%v: err %v, last progress %d", m, err, last)
		}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := Sample(ctx, g, Options{N: 2, Method: m}); !errors.Is(err, context.Canceled) {
			t.Errorf("%v: cancelled run returned %v", m, err)
		}
	}
}

func TestOptionErrors(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(4, 5, 5, 1))
	for _, o := range []Options{{N: 0}, {N: 1, Temperature: -1}} {
		if _, err := Sample(context.Background(), g, o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
	if _, err := Complete(context.Background(), g, make([]int32, 24), 1, Options{}); err == nil {
		t.Error("partial image accepted")
	}
	if _, err := Complete(context.Background(), g, []int32{9}, 1, Options{}); err == nil {
		t.Error("bad level accepted")
	}
}
