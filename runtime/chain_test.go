package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// chainConfigs are small PixelCNNs with every layer kind of the seed model;
// "odd" has non-square images and channel counts that are not multiples of
// a vector width.
func chainConfigs() map[string]graph.Config {
	odd := graph.DefaultConfig()
	odd.Height, odd.Width, odd.Filters, odd.Hidden, odd.Head, odd.Blocks = 9, 7, 10, 6, 5, 3
	return map[string]graph.Config{"small": testenv.TinyConfig(), "odd": odd}
}

// TestChainFusedEqualsUnfused runs small PixelCNNs three ways: the chain
// with fusion, the chain without (every Relu and Add its own pass) and the
// generic node-by-node path. Fusion only moves exact operations (max(v, 0)
// before or after the same float32 sums), so with the same conv kernels
// the logits must be bit-identical, at every batch size and thread count
// (batches are cut into chunks differently): all three with the NCHW
// kernels, fused and unfused with the direct channels-last kernel (which
// then agree with the generic path to float32 rounding).
func TestChainFusedEqualsUnfused(t *testing.T) {
	t.Parallel()
	for name, cfg := range chainConfigs() {
		g, err := graph.PixelCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			threads int
			direct  bool
		}{{1, false}, {2, false}, {3, false}, {1, true}, {2, true}, {3, true}} {
			threads := c.threads
			fused, err := CompileWith(g, Options{Threads: threads, NoDirect: !c.direct})
			if err != nil {
				t.Fatal(err)
			}
			unfused, err := CompileWith(g, Options{Threads: threads, NoFusion: true, NoDirect: !c.direct})
			if err != nil {
				t.Fatal(err)
			}
			generic, err := CompileWith(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			generic.chain = nil
			if fused.chain == nil || unfused.chain == nil {
				t.Fatalf("%s: PixelCNN did not compile to a chain", name)
			}
			// Fused: one op per conv and per residual Add (none with the
			// direct kernel: the Adds go into the convs); every Relu is gone.
			want := 3*cfg.Blocks + 4 + cfg.Blocks
			if fused.chain.direct {
				want -= cfg.Blocks
			}
			if got := len(fused.chain.ops); got != want {
				t.Errorf("%s: fused chain has %d ops, want %d (convs and Adds only)", name, got, want)
			}
			if got, want := len(unfused.chain.ops), len(g.Nodes); got != want {
				t.Errorf("%s: unfused chain has %d ops, want one per node (%d)", name, got, want)
			}
			for _, n := range []int{1, 2, 5, 9} {
				t.Run(fmt.Sprintf("%s/threads=%d/batch=%d/direct=%v", name, threads, n, fused.chain.direct), func(t *testing.T) {
					x := graph.NewFloat32([]int{n, cfg.Channels, cfg.Height, cfg.Width}, nil)
					for i := range x.F32 {
						x.F32[i] = float32((i*7919)%cfg.Levels) / float32(cfg.Levels-1)
					}
					want := forward(t, generic, x)
					if fused.chain.direct {
						// the direct kernel sums in another order than the
						// generic path's SGEMM: compare fused and unfused
						// with each other, bit for bit, and with the generic
						// path to float32 rounding
						if err := testenv.CloseTensor(forward(t, fused, x), want, 1e-5, 1e-5); err != nil {
							t.Fatalf("direct: %v", err)
						}
						want = forward(t, unfused, x)
					}
					for _, p := range []*Program{fused, unfused} {
						if err := testenv.CloseTensor(forward(t, p, x), want, 0, 0); err != nil {
							t.Fatalf("fusion %v: %v", p.chain.fused, err)
						}
						// Twice: states come back from the pool dirty.
						if err := testenv.CloseTensor(forward(t, p, x), want, 0, 0); err != nil {
							t.Fatalf("fusion %v, second run: %v", p.chain.fused, err)
						}
					}
				})
			}
		}
	}
}

// TestChainAllocs: in steady state a Run of the PixelCNN allocates only its
// result (map, tensor, shape, data) and the goroutines of the batch split,
// however deep the model: no activation buffer is allocated per Run. So the
// count is the same at 1 and at 4 blocks (one allocation per layer or block
// would add at least 3), and small (measured 2026-12-02: 8 with one thread, 12 with two).
func TestChainAllocs(t *testing.T) {
	const bound = 12 // the result and the batch split at two threads
	for _, threads := range []int{1, 2} {
		perDepth := map[int]float64{}
		for _, blocks := range []int{1, 4} {
			cfg := testenv.TinyConfig()
			cfg.Blocks = blocks
			g, err := graph.PixelCNN(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, err := CompileWith(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*graph.Tensor{graph.InputName: pixels(8, 3)}
			ctx := context.Background()
			run := func() {
				if _, err := p.Run(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			run()
			perDepth[blocks] = testing.AllocsPerRun(20, run)
			t.Logf("blocks %d, threads %d: %.1f allocations per Run", blocks, threads, perDepth[blocks])
		}
		if a := perDepth[1]; a > bound {
			t.Errorf("threads %d: %.1f allocations per Run, want <= %d", threads, a, bound)
		}
		if perDepth[4] != perDepth[1] {
			t.Errorf("threads %d: %.1f allocations per Run at 4 blocks, %.1f at 1: Run allocates per layer", threads, perDepth[4], perDepth[1])
		}
	}
}

// TestChainConcurrentRuns runs one Program from several goroutines at
// different batch sizes (so with different chunkings and pooled states);
// each result must equal the same run done alone. Run it with -race.
func TestChainConcurrentRuns(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(testenv.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := CompileWith(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	batches := []int{1, 3, 8, 2}
	want := make([]*graph.Tensor, len(batches))
	for i, n := range batches {
		want[i] = forward(t, p, pixels(n, uint64(i)))
	}
	errs := make(chan error, 4*len(batches))
	for rep := 0; rep < 4; rep++ {
		for i, n := range batches {
			go func() {
				out, err := p.Run(context.Background(), map[string]*graph.Tensor{graph.InputName: pixels(n, uint64(i))})
				if err == nil {
					err = testenv.CloseTensor(out[graph.OutputName], want[i], 0, 0)
				}
				errs <- err
			}()
		}
	}
	for range 4 * len(batches) {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestChainCancel: a cancelled context stops a chain run with ctx.Err().
func TestChainCancel(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(testenv.TinyConfig())
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Run(ctx, map[string]*graph.Tensor{graph.InputName: pixels(5, 1)}); err != context.Canceled {
		t.Fatalf("Run with a cancelled context: err = %v, want context.Canceled", err)
	}
}

// TestChainGeneralGraph: a hand-built graph off the PixelCNN pattern still
// runs as a chain and matches the node-by-node path bit for bit: a strided
// conv with asymmetric pads, a Relu that is both a graph output and a conv
// input (so it is materialized), a conv output read by a Relu and an Add
// (no ReluOut fusion), and an Add of two convs; each input size (down to
// 1x1, all padding) specializes anew, and an empty batch takes the generic
// path.
func TestChainGeneralGraph(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 5))
	g := &graph.Graph{Name: "general"}
	x := &graph.Value{Name: "x", DType: graph.Float32, Shape: []int{-1, 3, -1, -1}, DimNames: []string{"N", "", "H", "W"}}
	g.Inputs = []*graph.Value{x}
	cst := func(name string, t *graph.Tensor) *graph.Value {
		v := &graph.Value{Name: name, DType: t.DType, Shape: t.Shape, Const: t}
		g.Inits = append(g.Inits, v)
		return v
	}
	node := func(op string, attrs []graph.Attr, ins ...*graph.Value) *graph.Value {
		n := &graph.Node{Name: fmt.Sprintf("n%d", len(g.Nodes)), Op: op, Inputs: ins, Attrs: attrs}
		out := &graph.Value{Name: n.Name + "_out", DType: graph.Float32, Producer: n}
		n.Outputs = []*graph.Value{out}
		g.Nodes = append(g.Nodes, n)
		return out
	}
	w3 := randF32(r, 4, 4, 3, 3)
	for o := 0; o < 4; o++ { // taps 2 and 7 dead everywhere
		for c := 0; c < 4; c++ {
			w3.F32[(o*4+c)*9+2], w3.F32[(o*4+c)*9+7] = 0, 0
		}
	}
	c1 := node("Conv", []graph.Attr{attrInts("strides", 2, 1), attrInts("pads", 1, 0, 2, 1)},
		x, cst("w1", randF32(r, 4, 3, 3, 2)), cst("b1", randF32(r, 4)))
	r1 := node("Relu", nil, c1)
	c2 := node("Conv", nil, r1, cst("w2", randF32(r, 4, 4, 1, 1)))
	r2 := node("Relu", nil, c2)
	c3 := node("Conv", []graph.Attr{attrInts("pads", 1, 1, 1, 1), attrInts("dilations", 1, 1)}, r2, cst("w3", w3), cst("b3", randF32(r, 4)))
	sum := node("Add", nil, c3, c2)
	g.Outputs = []*graph.Value{sum, r1}
	generic, err := CompileWith(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	generic.chain = nil
	// The NCHW chain runs the generic path's kernels: bit-identical. The
	// channels-last chain (transposed 3-channel input and 4-channel outputs)
	// sums in another order: float32 rounding.
	for _, direct := range []bool{false, true} {
		p, err := CompileWith(g, Options{Threads: 2, NoDirect: !direct})
		if err != nil {
			t.Fatal(err)
		}
		if p.chain == nil {
			t.Fatal("graph did not compile to a chain")
		}
		tol := 0.0
		if p.chain.direct {
			tol = 1e-5
		}
		for _, shape := range [][]int{{3, 3, 9, 8}, {5, 3, 6, 11}, {2, 3, 1, 1}, {0, 3, 4, 4}} {
			in := map[string]*graph.Tensor{"x": randF32(r, shape...)}
			got, err := p.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			want, err := generic.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range g.Outputs {
				if err := testenv.CloseTensor(got[v.Name], want[v.Name], tol, tol); err != nil {
					t.Errorf("direct %v, input %v, output %s: %v", p.chain.direct, shape, v.Name, err)
				}
			}
		}
	}
}

// kindsGraph is a small graph with every layer kind of the plan: two masked
// convs into a gate (Tanh, Sigmoid, Mul), a conv reading relu(gate), an Add
// of activations, and the binary ops with constants broadcast per channel,
// per position and as a scalar (first and second operand), Sigmoid, Tanh
// and Identity.
func kindsGraph(t *testing.T) *graph.Graph {
	t.Helper()
	b := graph.NewBuilder("kinds", 3)
	x := b.Input("pixels", 1, 7, 6)
	f := b.Conv(x, graph.ConvSpec{Name: "f", Out: 5, Kernel: 3, Pad: 1, Mask: graph.MaskA})
	s := b.Conv(x, graph.ConvSpec{Name: "s", Out: 5, Kernel: 3, Pad: 1, Mask: graph.MaskA})
	h := b.Gate(f, s)
	c := b.Conv(b.Relu(h), graph.ConvSpec{Name: "c", Out: 5, Kernel: 3, Pad: 1, Mask: graph.MaskB})
	h = b.Add(h, c)
	b.Output("h", h)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(8, 9))
	cst := func(name string, shape ...int) *graph.Value {
		tt := randF32(r, shape...)
		for i := range tt.F32 {
			tt.F32[i] += 1.5 // no division by ~0
		}
		v := &graph.Value{Name: name, DType: graph.Float32, Shape: tt.Shape, Const: tt}
		g.Inits = append(g.Inits, v)
		return v
	}
	v := g.Outputs[0]
	node := func(op string, ins ...*graph.Value) *graph.Value {
		n := &graph.Node{Name: fmt.Sprintf("k%d", len(g.Nodes)), Op: op, Inputs: ins}
		out := &graph.Value{Name: n.Name + "_out", DType: graph.Float32, Shape: v.Shape, Producer: n}
		n.Outputs = []*graph.Value{out}
		g.Nodes = append(g.Nodes, n)
		return out
	}
	y := node("Mul", v, cst("perchannel", 5, 1, 1))
	y = node("Sub", cst("scalar", 1), y)
	y = node("Div", y, cst("perposition", 7, 6))
	y = node("Sigmoid", y)
	y = node("Add", node("Tanh", y), cst("full", 1, 5, 7, 6))
	y = node("Identity", y)
	y.Name = graph.OutputName
	g.Outputs = []*graph.Value{y}
	return g
}

// TestChainLayerKinds: every layer kind runs in the chain, bit for bit the
// generic path with the NCHW kernels, fused and unfused alike.
func TestChainLayerKinds(t *testing.T) {
	t.Parallel()
	g := kindsGraph(t)
	generic, err := CompileWith(g, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	generic.chain = nil
	x := randF32(rand.New(rand.NewPCG(1, 2)), 3, 1, 7, 6)
	want := forward(t, generic, x)
	for _, direct := range []bool{false, true} {
		var runs []*graph.Tensor
		for _, noFusion := range []bool{false, true} {
			p, err := CompileWith(g, Options{Threads: 2, NoDirect: !direct, NoFusion: noFusion})
			if err != nil {
				t.Fatal(err)
			}
			if p.chain == nil {
				t.Fatalf("no chain: %s", p.plan.Blocker)
			}
			gates := 0
			for _, l := range p.plan.Layers {
				if l.Kind == layers.Gate {
					gates++
				}
			}
			if want := map[bool]int{false: 1, true: 0}[noFusion]; gates != want {
				t.Errorf("direct %v, no fusion %v: %d gate layers, want %d", direct, noFusion, gates, want)
			}
			runs = append(runs, forward(t, p, x))
		}
		tol := 0.0 // the NCHW chain runs the generic path's kernels: bit for bit
		if direct && kernels.HasDirect() {
			tol = 1e-5 // the direct kernel sums in another order than the generic path: float32 rounding
		}
		testenv.AllCloseTensor(t, runs[0], want, tol, tol, "direct %v, fused vs generic", direct)
		// fusion moves exact operations only: bit for bit
		testenv.AllCloseTensor(t, runs[0], runs[1], 0, 0, "direct %v, fused vs unfused", direct)
	}
}

// TestChainThenGeneric: a graph whose layers end in a node outside the
// layer classes (torch.onnx's trailing Softmax, Transposes around it at
// opset 11) runs its layers on the chain and the rest node by node, with
// the generic path's results (bit for bit with the NCHW kernels).
func TestChainThenGeneric(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"opset13_softmax", "opset11_softmax"} {
		g, err := export.DecodeFile(filepath.Join("..", "testdata", "torch", name, "model.onnx"), nil)
		if err != nil {
			t.Fatal(err)
		}
		generic, err := Compile(g)
		if err != nil {
			t.Fatal(err)
		}
		generic.chain = nil
		in := map[string]*graph.Tensor{"pixels": pixels(3, 5)} // (3,1,8,8), the fixture's image size
		run := func(p *Program) *graph.Tensor {
			out, err := p.Run(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			return out[g.Outputs[0].Name]
		}
		want := run(generic)
		for _, direct := range []bool{false, true} {
			p, err := CompileWith(g, Options{NoDirect: !direct})
			if err != nil {
				t.Fatal(err)
			}
			if p.chain == nil || p.plan.Fast || len(p.plan.Exports) != 1 {
				t.Fatalf("%s: chain %v, fast %v, exports %v: want the layers on the chain, one export", name, p.chain != nil, p.plan.Fast, p.plan.Exports)
			}
			tol := 0.0 // the NCHW chain runs the generic path's kernels
			if direct && kernels.HasDirect() {
				tol = 1e-5 // the direct kernel sums in another order: float32 rounding
			}
			testenv.AllCloseTensor(t, run(p), want, tol, tol, "%s, direct %v", name, direct)
		}
	}
}
