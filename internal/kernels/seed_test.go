package kernels

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// convLayer is one conv of a model: plan, packed weight, bias.
type convLayer struct {
	pl        *ConvPlan
	wp, wd, b []float32 // wd: packed for ForwardNHWC
}

// newConvLayer reads node n's weight and bias from the graph and plans the
// conv for h×w inputs, with live taps from the weight's mask.
func newConvLayer(t testing.TB, g *graph.Graph, name string, h, w int) convLayer {
	W, B := g.Init(name+"/W"), g.Init(name+"/B")
	s := W.Const.Shape // (O,C,k,k)
	pad := s[2] / 2
	pl, err := NewConvPlan(ConvParams{In: s[1], Out: s[0], KH: s[2], KW: s[3], H: h, W: w,
		Pads: [4]int{pad, pad, pad, pad}, Taps: LiveTaps(graph.Mask(W.Mask, s[2], s[3]))})
	if err != nil {
		t.Fatal(err)
	}
	return convLayer{pl: pl, wp: pl.Pack(nil, W.Const.F32), wd: pl.PackDirect(nil, W.Const.F32), b: B.Const.F32}
}

// seedNet is graph.PixelCNN composed of this package's kernels, with every
// pointwise op fused into a conv:
//
//	h = in(x)                                   7x7 mask A
//	h += c(relu(b(relu(a(relu(h))))))           per block: ReluIn, ReluOut, ReluOut, Accumulate
//	logits = logits(out2(relu(out1(relu(h)))))
//
// It runs image-major: the batch is cut into chunks of sub images, and each
// of threads goroutines runs the whole chain on one chunk at a time with
// its own activations and Workspace{Threads: 1}, so that a chunk's
// activations stay in L2 from one layer to the next.
type seedNet struct {
	cfg                graph.Config
	in                 convLayer
	a, b, c            []convLayer
	out1, out2, logits convLayer
	sub                int  // images per chunk; 0: the whole batch
	threads            int  // goroutines; 0: GOMAXPROCS
	nhwc               bool // activations channels-last, convs by ForwardNHWC
	workers            []*seedWorker
	out                []float32
}

// seedWorker is one goroutine's activations, sized for one chunk.
type seedWorker struct {
	h, t1, t2, y1, y2, y3 []float32
	ws                    Workspace
}

func newSeedNet(t testing.TB, cfg graph.Config) *seedNet {
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	H, W := cfg.Height, cfg.Width
	s := &seedNet{cfg: cfg, in: newConvLayer(t, g, "in", H, W),
		out1: newConvLayer(t, g, "head/out1", H, W), out2: newConvLayer(t, g, "head/out2", H, W),
		logits: newConvLayer(t, g, "head/logits", H, W)}
	for i := 0; i < cfg.Blocks; i++ {
		r := fmt.Sprintf("res%02d/", i)
		s.a = append(s.a, newConvLayer(t, g, r+"a", H, W))
		s.b = append(s.b, newConvLayer(t, g, r+"b", H, W))
		s.c = append(s.c, newConvLayer(t, g, r+"c", H, W))
	}
	return s
}

// forward returns the logits (N, q·C, H, W) of x (N, C, H, W); the result is
// s's own buffer, valid until the next call.
func (s *seedNet) forward(x []float32, n int) []float32 {
	sub := s.sub
	if sub <= 0 || sub > n {
		sub = n
	}
	inSize, outSize := s.in.pl.XSize(), s.logits.pl.YSize()
	s.out = grow(s.out, n*outSize)
	chunks := (n + sub - 1) / sub
	threads := min(threadsOr(s.threads), chunks)
	for len(s.workers) < threads {
		s.workers = append(s.workers, &seedWorker{ws: Workspace{Threads: 1}})
	}
	if threads == 1 { // one chunk at a time with all the threads inside each conv
		s.workers[0].ws.Threads = s.threads
	}
	run := func(w *seedWorker, c int) {
		i0, i1 := c*sub, min((c+1)*sub, n)
		s.chain(w, s.out[i0*outSize:i1*outSize], x[i0*inSize:i1*inSize], i1-i0)
	}
	if threads == 1 {
		for c := 0; c < chunks; c++ {
			run(s.workers[0], c)
		}
		return s.out
	}
	var wg sync.WaitGroup
	var next atomic.Int32
	for _, w := range s.workers[:threads] {
		w.ws.Threads = 1
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := int(next.Add(1)) - 1; c < chunks; c = int(next.Add(1)) - 1 {
				run(w, c)
			}
		}()
	}
	wg.Wait()
	return s.out
}

// chain runs the model on n images x into out.
func (s *seedNet) chain(w *seedWorker, out, x []float32, n int) {
	cfg := s.cfg
	hw := cfg.Height * cfg.Width
	w.h = grow(w.h, n*cfg.Filters*hw)
	w.t1 = grow(w.t1, n*cfg.Hidden*hw)
	w.t2 = grow(w.t2, n*cfg.Hidden*hw)
	w.y1 = grow(w.y1, n*cfg.Head*hw)
	w.y2 = grow(w.y2, n*cfg.Head*hw)
	conv := func(l convLayer, y, x []float32, f Fuse) { l.pl.Forward(&w.ws, y, x, l.wp, l.b, n, f) }
	if s.nhwc { // x (N,1,H,W) is also (N,H,W,1); the logits are transposed back at the end
		conv = func(l convLayer, y, x []float32, f Fuse) { l.pl.ForwardNHWC(&w.ws, y, x, l.wd, l.b, n, f) }
		w.y3 = grow(w.y3, len(out))
		logits := out
		defer transposeInto(logits, w.y3, n, hw, s.logits.pl.p.Out)
		out = w.y3
	}
	conv(s.in, w.h, x, Fuse{})
	for i := range s.a {
		conv(s.a[i], w.t1, w.h, Fuse{ReluIn: true, ReluOut: true})
		conv(s.b[i], w.t2, w.t1, Fuse{ReluOut: true})
		conv(s.c[i], w.h, w.t2, Fuse{Accumulate: true})
	}
	conv(s.out1, w.y1, w.h, Fuse{ReluIn: true, ReluOut: true})
	conv(s.out2, w.y2, w.y1, Fuse{})
	conv(s.logits, out, w.y2, Fuse{})
}

// liveFlops is 2·multiply-adds per image over live taps only.
func (s *seedNet) liveFlops() float64 {
	f := 0.0
	for _, l := range append([]convLayer{s.in, s.out1, s.out2, s.logits}, append(append(s.a, s.b...), s.c...)...) {
		f += 2 * float64(l.pl.p.Out*l.pl.K*l.pl.OH*l.pl.OW)
	}
	return f
}

// interpret runs g node by node with the float64 reference (no fusion):
// the oracle for seedNet.
func interpret(t testing.TB, g *graph.Graph, x []float64, n int) []float64 {
	vals := map[string][]float64{g.Inputs[0].Name: x}
	shapes := map[string][]int{g.Inputs[0].Name: g.Inputs[0].Shape}
	for _, nd := range g.Nodes {
		in := vals[nd.Inputs[0].Name]
		var out []float64
		switch nd.Op {
		case "Relu":
			out = make([]float64, len(in))
			for i, v := range in {
				out[i] = math.Max(v, 0)
			}
		case "Add":
			other := vals[nd.Inputs[1].Name]
			out = make([]float64, len(in))
			for i := range in {
				out[i] = in[i] + other[i]
			}
		case "Conv":
			W := nd.Inputs[1]
			s, xs := W.Const.Shape, shapes[nd.Inputs[0].Name]
			pad := int(nd.IntsAttr("pads")[0])
			p := ConvParams{In: s[1], Out: s[0], KH: s[2], KW: s[3], H: xs[2], W: xs[3],
				Stride: [2]int{1, 1}, Dilation: [2]int{1, 1}, Pads: [4]int{pad, pad, pad, pad},
				Taps: LiveTaps(graph.Mask(graph.MaskNone, s[2], s[3]))} // every tap: the mask is in W's zeros
			out, _ = refConv(p, xs[2], xs[3], in, f64(W.Const.F32), f64(nd.Inputs[2].Const.F32), nil, n, Fuse{})
		default:
			t.Fatalf("interpret: op %s", nd.Op)
		}
		o := nd.Outputs[0]
		vals[o.Name], shapes[o.Name] = out, o.Shape
	}
	return vals[g.Outputs[0].Name]
}

// TestSeedNetMatchesGraph runs a small PixelCNN (every layer kind of the
// seed, fewer channels and blocks) through the fused kernels and through the
// unfused float64 interpreter. Each of the 8 convs in the chain adds at most
// K·2⁻²⁴ relative error of its sums (K ≤ 5·16); activations are O(1) with
// sums of |terms| O(10), so 1e-4 absolute leaves a margin of > 10x.
func TestSeedNetMatchesGraph(t *testing.T) {
	cfg := graph.DefaultConfig()
	cfg.Height, cfg.Width, cfg.Filters, cfg.Hidden, cfg.Head, cfg.Blocks = 9, 7, 16, 8, 12, 2
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const n = 2
	x := randSlice(5, n*cfg.Channels*cfg.Height*cfg.Width)
	for i := range x {
		x[i] = float32(math.Abs(float64(x[i]))) // pixels are in [0, 1]
	}
	want := interpret(t, g, f64(x), n)
	for _, threads := range []int{1, 2} {
		for _, sub := range []int{0, 1} {
			for _, nhwc := range []bool{false, true} {
				s := newSeedNet(t, cfg)
				s.sub, s.nhwc, s.threads = sub, nhwc, threads
				got := s.forward(x, n)
				got64 := make([]float64, len(got))
				for i, v := range got {
					got64[i] = float64(v)
				}
				if !testenv.AllClose(t, got64, want, 1e-4, 0, "threads %d, sub %d, nhwc %v: logits", threads, sub, nhwc) {
					t.FailNow()
				}
			}
		}
	}
}
