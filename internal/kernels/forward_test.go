package kernels

import (
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// convCase is one geometry; every case runs at batch 1 and 3 and with 1 and
// 3 threads.
type convCase struct {
	name  string
	p     ConvParams
	mask  graph.MaskKind // sets p.Taps via graph.Mask unless p.Taps is set
	bands int            // > 0: force this many output rows per work unit
}

func convCases() []convCase {
	sq := func(k int) (int, int) { return k, k }
	c := func(name string, in, out, k, h, w, pad int, mask graph.MaskKind) convCase {
		kh, kw := sq(k)
		return convCase{name: name, mask: mask,
			p: ConvParams{In: in, Out: out, KH: kh, KW: kw, H: h, W: w, Pads: [4]int{pad, pad, pad, pad}}}
	}
	cases := []convCase{
		c("1x1", 5, 7, 1, 4, 6, 0, graph.MaskNone),               // pointwise: GEMM on x, no im2col
		c("1x1/mask-B", 3, 4, 1, 5, 3, 0, graph.MaskB),           // mask B of a 1x1 keeps its only tap
		c("3x3/none/pad0", 3, 2, 3, 5, 9, 0, graph.MaskNone),     // valid conv, output smaller
		c("3x3/B", 4, 6, 3, 7, 5, 1, graph.MaskB),                // block conv: 5 of 9 taps
		c("3x3/A", 2, 3, 3, 6, 6, 1, graph.MaskA),                // 4 of 9 taps
		c("7x7/A", 1, 8, 7, 9, 11, 3, graph.MaskA),               // the input conv: 24 of 49, image < kernel+pads
		c("7x7/none/odd", 3, 5, 7, 13, 7, 3, graph.MaskNone),     // odd sizes, every tap
		c("5x5/B/pad1", 2, 3, 5, 8, 9, 1, graph.MaskB),           // pads smaller than same: edge taps clipped
		c("3x3/B/bands", 3, 4, 3, 11, 6, 1, graph.MaskB),         // several row bands per image
		c("1x1/bands", 6, 5, 1, 9, 4, 0, graph.MaskNone),         // pointwise, banded
		c("3x3/B/dil2", 3, 4, 3, 9, 8, 2, graph.MaskB),           // dilation 2 (set below), same pad 2
		c("3x3/none/stride2", 2, 3, 3, 9, 10, 1, graph.MaskNone), // stride 2 (set below)
		c("1x1/stride2", 4, 3, 1, 7, 8, 0, graph.MaskNone),       // 1x1 that still needs a gather
	}
	for i := range cases {
		switch cases[i].name {
		case "3x3/B/bands", "1x1/bands":
			cases[i].bands = 2
		case "3x3/B/dil2":
			cases[i].p.Dilation = [2]int{2, 2}
		case "3x3/none/stride2":
			cases[i].p.Stride = [2]int{2, 2}
		case "1x1/stride2":
			cases[i].p.Stride = [2]int{2, 2}
		}
	}
	return append(cases,
		convCase{name: "5x3/asym", p: ConvParams{In: 3, Out: 4, KH: 5, KW: 3, H: 10, W: 7,
			Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}, Pads: [4]int{2, 0, 1, 3}}}, // rectangular, mixed stride/dilation, uneven pads
		convCase{name: "3x3/no-taps", p: ConvParams{In: 2, Out: 3, KH: 3, KW: 3, H: 4, W: 5,
			Pads: [4]int{1, 1, 1, 1}, Taps: []int{}}}, // every tap dead: y = b
	)
}

// plan makes c's plan, filling taps from the mask.
func (c convCase) plan(t *testing.T) *ConvPlan {
	t.Helper()
	p := c.p
	if p.Taps == nil {
		p.Taps = LiveTaps(graph.Mask(c.mask, p.KH, p.KW))
	}
	pl, err := NewConvPlan(p)
	if err != nil {
		t.Fatal(err)
	}
	if c.bands > 0 {
		pl.panelRows = c.bands
	}
	return pl
}

var fuses = []Fuse{{}, {ReluIn: true}, {ReluOut: true}, {ReluIn: true, Accumulate: true, ReluOut: true}, {Accumulate: true}}

func TestForward(t *testing.T) {
	for ci, c := range convCases() {
		for _, n := range []int{1, 3} {
			for fi, f := range fuses {
				for _, tt := range gemmImpls(3) {
					threads := tt.threads
					name := fmt.Sprintf("%s/n%d/%+v/t%d/%s", c.name, n, f, threads, tt.level)
					t.Run(name, func(t *testing.T) {
						defer setLevel(tt.level)()
						d := newConvData(t, c, uint64(100*ci+10*fi+n), n, f)
						pl, p := d.pl, d.pl.Params()
						y := append([]float32(nil), d.y0...)
						wp := pl.Pack(nil, deadNaN(d.w, p.KH*p.KW, p.Taps))
						var ws Workspace
						ws.Threads = threads
						pl.Forward(&ws, y, d.x, wp, d.b, n, f)
						closeTo(t, "y", y, d.want, d.s, pl.K)
					})
				}
			}
		}
	}
}

// gemmImpl is one way Forward and Backward run their products: a level
// (generic: gonum's SGEMM and Go epilogues; AVX2, AVX-512: packedGemm) and
// a thread count.
type gemmImpl struct {
	threads int
	level   level
}

// gemmImpls lists 1 and maxThreads threads at every level this CPU runs.
func gemmImpls(maxThreads int) []gemmImpl {
	var im []gemmImpl
	for _, l := range levels() {
		im = append(im, gemmImpl{1, l}, gemmImpl{maxThreads, l})
	}
	return im
}

// levels lists the levels this CPU and build can run, lowest first.
func levels() []level {
	var ls []level
	for l := levelGeneric; l <= maxLevel; l++ {
		ls = append(ls, l)
	}
	return ls
}

// convData is one test case's plan, random operands (dead taps of w zero)
// and float64 reference output with its bound's sums of |terms|.
type convData struct {
	pl          *ConvPlan
	x, w, b, y0 []float32
	want, s     []float64
}

func newConvData(t *testing.T, c convCase, seed uint64, n int, f Fuse) convData {
	pl := c.plan(t)
	p := pl.Params()
	d := convData{pl: pl, x: randSlice(seed, n*pl.XSize()), w: randSlice(seed+1, pl.WSize()),
		b: randSlice(seed+2, p.Out), y0: randSlice(seed+3, n*pl.YSize())}
	zeroDead(d.w, p.KH*p.KW, p.Taps)
	d.want, d.s = refConv(p, pl.OH, pl.OW, f64(d.x), f64(d.w), f64(d.b), f64(d.y0), n, f)
	return d
}

// TestForwardNoBias covers b == nil on a masked conv.
func TestForwardNoBias(t *testing.T) {
	c := convCase{p: ConvParams{In: 3, Out: 4, KH: 3, KW: 3, H: 6, W: 5, Pads: [4]int{1, 1, 1, 1}}, mask: graph.MaskB}
	pl := c.plan(t)
	p := pl.Params()
	x, w := randSlice(1, 2*pl.XSize()), randSlice(2, pl.WSize())
	zeroDead(w, 9, p.Taps)
	want, s := refConv(p, pl.OH, pl.OW, f64(x), f64(w), nil, nil, 2, Fuse{})
	y := make([]float32, 2*pl.YSize())
	pl.Forward(new(Workspace), y, x, pl.Pack(nil, w), nil, 2, Fuse{})
	closeTo(t, "y", y, want, s, pl.K)
}

// TestForwardSteadyStateAllocs: after a first call sized the workspace, a
// single-threaded Forward allocates nothing.
func TestForwardSteadyStateAllocs(t *testing.T) {
	c := convCase{p: ConvParams{In: 8, Out: 8, KH: 3, KW: 3, H: 12, W: 12, Pads: [4]int{1, 1, 1, 1}}, mask: graph.MaskB}
	pl := c.plan(t)
	x, y := randSlice(1, 4*pl.XSize()), make([]float32, 4*pl.YSize())
	wp, b := pl.Pack(nil, randSlice(2, pl.WSize())), randSlice(3, 8)
	ws := Workspace{Threads: 1}
	f := Fuse{ReluIn: true, ReluOut: true}
	if a := testing.AllocsPerRun(10, func() { pl.Forward(&ws, y, x, wp, b, 4, f) }); a != 0 {
		t.Errorf("Forward allocates %v times per call, want 0", a)
	}
	dx, dwp, db := make([]float32, len(x)), make([]float32, len(wp)), make([]float32, 8)
	if a := testing.AllocsPerRun(10, func() { pl.Backward(&ws, dx, dwp, db, y, x, wp, 4, true) }); a != 0 {
		t.Errorf("Backward allocates %v times per call, want 0", a)
	}
}

func TestPackUnpack(t *testing.T) {
	pl, err := NewConvPlan(ConvParams{In: 2, Out: 3, KH: 3, KW: 3, H: 5, W: 5, Taps: LiveTaps(graph.Mask(graph.MaskA, 3, 3))})
	if err != nil {
		t.Fatal(err)
	}
	w := randSlice(1, pl.WSize())
	got := pl.Unpack(nil, pl.Pack(nil, w))
	zeroDead(w, 9, pl.Taps())
	for i := range w {
		if got[i] != w[i] {
			t.Fatalf("Unpack(Pack(w))[%d] = %g, want %g", i, got[i], w[i])
		}
	}
	if k := pl.K; k != 2*4 {
		t.Errorf("K = %d, want 8 (2 channels × 4 mask-A taps)", k)
	}
}

func TestLiveTaps(t *testing.T) {
	for _, tc := range []struct {
		kind graph.MaskKind
		k    int
		want int
	}{{graph.MaskNone, 3, 9}, {graph.MaskB, 3, 5}, {graph.MaskA, 3, 4}, {graph.MaskA, 7, 24}, {graph.MaskB, 7, 25}} {
		if got := len(LiveTaps(graph.Mask(tc.kind, tc.k, tc.k))); got != tc.want {
			t.Errorf("LiveTaps(mask %v %dx%d) has %d taps, want %d", tc.kind, tc.k, tc.k, got, tc.want)
		}
	}
}

func TestNewConvPlanErrors(t *testing.T) {
	for _, p := range []ConvParams{
		{In: 0, Out: 1, KH: 1, KW: 1, H: 1, W: 1},
		{In: 1, Out: 1, KH: 5, KW: 5, H: 2, W: 2},                    // kernel larger than image
		{In: 1, Out: 1, KH: 3, KW: 3, H: 4, W: 4, Taps: []int{3, 1}}, // not increasing
		{In: 1, Out: 1, KH: 3, KW: 3, H: 4, W: 4, Taps: []int{9}},    // outside the kernel
		{In: 1, Out: 1, KH: 1, KW: 1, H: 4, W: 4, Pads: [4]int{-1}},
	} {
		if _, err := NewConvPlan(p); err == nil {
			t.Errorf("NewConvPlan(%+v) = nil error", p)
		}
	}
}
