package sample

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestCachedEqualsNaive: the cached sampler draws exactly the naive
// sampler's images (Go runtime forward passes) for the same seed.
func TestCachedEqualsNaive(t *testing.T) {
	t.Parallel()
	for _, q := range []int{4, 256} {
		for _, seed := range []uint64{1, 2, 3} {
			for _, temp := range []float64{1, 0.3} {
				t.Run(fmt.Sprintf("q%d/seed%d/T%g", q, seed, temp), func(t *testing.T) {
					t.Parallel()
					g := mustPixelCNN(t, sized(q, 8, 6, seed+10))
					checkCachedEqualsNaive(t, g, Options{N: 3, Seed: seed, Temperature: temp})
				})
			}
		}
	}
}

func checkCachedEqualsNaive(t *testing.T, g *graph.Graph, opts Options) *Result {
	t.Helper()
	opts.Method = Naive
	ref, err := Sample(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Method = Cached
	got, err := Sample(context.Background(), g, opts)
	if err != nil {
		t.Fatal(err)
	}
	if ref.Method != Naive || got.Method != Cached {
		t.Fatalf("ran %v and %v", ref.Method, got.Method)
	}
	if flips := compareImages(t, "cached vs naive", got, ref); flips != 0 {
		t.Errorf("%d boundary flips (expected 0 for these fixed seeds)", flips)
	}
	return got
}

// TestPlanLogitsMatchRuntime: the incremental evaluator's logits on whole
// random images equal the runtime's up to float32 summation order (1e-4
// absolute + 1e-4 relative on logits of magnitude ~1).
func TestPlanLogitsMatchRuntime(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(16, 9, 7, 4))
	pl, err := compile(g)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(6, 63, 16, 9)
	want, err := GraphForward(g)(context.Background(), x, 6)
	if err != nil {
		t.Fatal(err)
	}
	if !testenv.AllClose(t, pl.forward(x, 6, nil), want, 1e-4, 1e-4, "logits") {
		t.FailNow()
	}
}

// TestPlanConvPaths: the cached evaluator's two conv paths — the direct
// kernel on table rows (ForwardRows) and GemmAcc tap by tap — give the same
// logits up to float32 summation order, and each matches the runtime's
// (TestPlanLogitsMatchRuntime runs the first where the CPU has it).
func TestPlanConvPaths(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(4, 9, 7, 5))
	pl, err := compile(g)
	if err != nil {
		t.Fatal(err)
	}
	x := randomImages(3, 63, 4, 9)
	direct := pl.forward(x, 3, nil)
	convs := 0
	for _, st := range pl.ops {
		if c, ok := st.op.(*convOp); ok {
			c.wd = nil // GemmAcc
			convs++
		}
	}
	if convs == 0 {
		t.Fatal("no conv ops in the plan")
	}
	if !testenv.AllClose(t, pl.forward(x, 3, nil), direct, 1e-5, 1e-5, "GemmAcc vs ForwardRows logits") {
		t.FailNow()
	}
}

// TestCachedThreads: Options.Threads splits the images among that many
// workers without changing a draw.
func TestCachedThreads(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, sized(4, 6, 5, 2))
	var res [2]*Result
	for i, threads := range []int{1, 3} {
		r, err := Sample(context.Background(), g, Options{N: 9, Seed: 2, Method: Cached, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		res[i] = r
	}
	if !slices.Equal(res[0].Levels, res[1].Levels) {
		t.Error("1 and 3 workers drew different images")
	}
}

// TestCachedWorkerPanic: a panic in a worker goroutine (here from
// Options.Progress) is the call's error, not the end of the process.
func TestCachedWorkerPanic(t *testing.T) {
	g := mustPixelCNN(t, testenv.TinyConfig())
	_, err := Sample(context.Background(), g, Options{N: 8, Method: Cached, Progress: func(done, total int) {
		if done == 3 {
			panic("planted")
		}
	}})
	if err == nil || !strings.Contains(err.Error(), "panic: planted") {
		t.Fatalf("got %v, want the planted panic as an error", err)
	}
}
