package sample

import (
	"context"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// vhGraph is a Gated-PixelCNN-like pair of stacks on 7x6 images, masks as
// zero patterns: a vertical stack v1 (3x3, the row above only) → relu → v2
// (3x3, rows up to the centre row, so v2 at (y,x) reads v1 at (y,x+1)), a
// 1x1 link from v2 into the horizontal stack h (3x3 keeping the left
// neighbour only), and logits from relu(h + link).
func vhGraph(t *testing.T) *graph.Graph {
	t.Helper()
	b := graph.NewBuilder("vh", 5)
	x := b.Input(graph.InputName, 1, 7, 6)
	v := b.Conv(x, graph.ConvSpec{Name: "v1", Out: 4, Kernel: 3, Pad: 1})
	v = b.Conv(b.Relu(v), graph.ConvSpec{Name: "v2", Out: 4, Kernel: 3, Pad: 1})
	link := b.Conv(v, graph.ConvSpec{Name: "link", Out: 4, Kernel: 1})
	h := b.Conv(x, graph.ConvSpec{Name: "h1", Out: 4, Kernel: 3, Pad: 1})
	y := b.Conv(b.Relu(b.Add(h, link)), graph.ConvSpec{Name: "logits", Out: 4, Kernel: 1})
	b.Output(graph.OutputName, y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]func(tap int) bool{
		"v1/W": func(t int) bool { return t/3 == 0 },
		"v2/W": func(t int) bool { return t/3 <= 1 },
		"h1/W": func(t int) bool { return t == 3 },
	}
	for name, k := range keep {
		w := g.Init(name).Const.F32
		for i := range w {
			if !k(i % 9) {
				w[i] = 0
			}
		}
	}
	return g
}

// TestRowAhead: the vertical stack's values depend on the rows above only
// (layers.Reach RowAhead), so the cached sampler computes each of their rows
// once the rows above are drawn, and v2 may read v1 right of the output
// pixel; the images are the naive sampler's, and the incremental logits the
// runtime's.
func TestRowAhead(t *testing.T) {
	t.Parallel()
	g := vhGraph(t)
	pl, err := compile(g)
	if err != nil {
		t.Fatal(err)
	}
	// shifts (plan): v1 and its relu -W+1 (the row above, one column
	// right), v2 and link -W+2; h1, the add, relu and logits -1.
	ahead, before := 0, 0
	for _, st := range pl.ops {
		switch {
		case st.shift <= -pl.w+2:
			ahead++
		case st.shift == -1:
			before++
		}
	}
	if ahead != 4 || before != 4 || len(pl.ops) != 8 {
		t.Errorf("%d ops a row ahead, %d at shift -1, of %d; want 4 (v1, relu, v2, link), 4 (h1, add, relu, logits)", ahead, before, len(pl.ops))
	}
	checkCachedEqualsNaive(t, g, Options{N: 5, Seed: 6})
	x := randomImages(3, 7*6, 4, 8)
	want, err := GraphForward(g)(context.Background(), x, 3)
	if err != nil {
		t.Fatal(err)
	}
	// the same float32 sums in another order: 1e-4 on logits of magnitude ~1
	testenv.AllClose(t, pl.forward(x, 3, nil), want, 1e-4, 1e-4, "row-ahead plan vs runtime")
	r, err := Audit(context.Background(), g, AuditOptions{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Causal || r.Cacheable != nil {
		t.Errorf("audit: %v", r)
	}
}
