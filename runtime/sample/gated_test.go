package sample

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestGatedCached: the cached sampler runs the plan's Gate layer as one
// step per position (kernels.Gate) and draws bit for bit the naive
// sampler's images; the audit finds the gated graph causal, with a
// receptive field through the gates, and flags a gate half that sees the
// row below, naming that conv and tap.
func TestGatedCached(t *testing.T) {
	t.Parallel()
	g := testenv.GatedGraph(t, 7, 6, 6, 2, 4)
	pl, err := compile(g)
	if err != nil {
		t.Fatal(err)
	}
	gates := 0
	for _, o := range pl.ops {
		if _, ok := o.op.(*gateOp); ok {
			gates++
		}
	}
	if gates != 3 {
		t.Errorf("%d gate steps in the cached plan, want 3", gates)
	}
	checkCachedEqualsNaive(t, g, Options{N: 5, Seed: 4})

	r, err := Audit(context.Background(), g, AuditOptions{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Causal || r.Receptive == nil || r.Receptive.Up != 3 || r.Cacheable != nil {
		t.Errorf("gated graph: %v", r)
	}

	w := g.Init("g01/s/W")
	w.Mask = graph.MaskNone
	for i := 0; i < len(w.Const.F32); i += 9 {
		w.Const.F32[i+2*3+1] = 0.3 // tap (2,1): the row below
	}
	r, err = Audit(context.Background(), g, AuditOptions{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	var ce *CausalityError
	if r.Causal || !errors.As(r.Structural, &ce) || ce.Node != "g01/s" || ce.Offset != (graph.Offset{Dy: 1, Dx: 0}) || r.LeakCount == 0 {
		t.Errorf("leaky gate half: %v", r)
	}
}

// gatedPixelCNN is the conditional Gated PixelCNN of testenv.GatedConfig on
// h×w images.
func gatedPixelCNN(t *testing.T, classes, h, w int) *graph.Graph {
	t.Helper()
	c := testenv.GatedConfig(classes)
	c.Height, c.Width = h, w
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGatedPixelCNNCached: the Gated PixelCNN's vertical stack runs a row
// ahead in the cached plan (shift −W+k: a whole row before the row's first
// pixel), the logits are the runtime's, and cached sampling draws the naive
// sampler's images bit for bit, each image with its own class.
func TestGatedPixelCNNCached(t *testing.T) {
	t.Parallel()
	g := gatedPixelCNN(t, 10, 8, 7)
	pl, err := compile(g)
	if err != nil {
		t.Fatal(err)
	}
	rowAhead := 0
	for _, st := range pl.ops {
		if st.shift < -1 {
			rowAhead++
		}
	}
	if rowAhead == 0 || pl.outShift != -1 {
		t.Errorf("%d ops a row ahead, logits shift %d; want some, and -1", rowAhead, pl.outShift)
	}
	x := randomImages(4, 8*7, 4, 55)
	labels := []int64{0, 9, 3, -2}
	want, err := GraphForwardCond(g, []Cond{{"label", labels}})(context.Background(), x, 4)
	if err != nil {
		t.Fatal(err)
	}
	if !testenv.AllClose(t, pl.forward(x, 4, [][]int64{labels}), want, 1e-4, 1e-4, "logits") {
		t.FailNow()
	}
	for _, seed := range []uint64{1, 2} {
		checkCachedEqualsNaive(t, g, Options{N: 5, Seed: seed, Cond: []Cond{{"label", []int64{0, 1, 2, 3, 9}}}})
		checkCachedEqualsNaive(t, g, Options{N: 3, Seed: seed, Temperature: 0.5, Cond: []Cond{{"label", []int64{7}}}})
	}
	// The class changes the images.
	a, err := Sample(context.Background(), g, Options{N: 2, Seed: 1, Cond: []Cond{{"label", []int64{1}}}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Sample(context.Background(), g, Options{N: 2, Seed: 1, Cond: []Cond{{"label", []int64{2}}}})
	if err != nil {
		t.Fatal(err)
	}
	if slices.Equal(a.Levels, b.Levels) {
		t.Error("classes 1 and 2 drew the same images")
	}
}

// TestGatedPixelCNNCondErrors: a conditional model sampled without its
// label, with an unknown input name or a label out of range is an error
// naming the input (and the Gather node).
func TestGatedPixelCNNCondErrors(t *testing.T) {
	t.Parallel()
	g := gatedPixelCNN(t, 10, 6, 6)
	for _, c := range []struct {
		name string
		cond []Cond
		want string
	}{
		{"missing", nil, "its input label needs a value"},
		{"unknown", []Cond{{"label", []int64{1}}, {"class", []int64{1}}}, `conditioning input "class": the graph has none`},
		{"out of range", []Cond{{"label", []int64{12}}}, "(Gather) of conditioning input label: input indices: index 12 is out of range [-10, 9]"},
		{"wrong count", []Cond{{"label", []int64{1, 2}}}, "2 values for 3 images"},
	} {
		for _, m := range []Method{Cached, Naive} {
			_, err := Sample(context.Background(), g, Options{N: 3, Method: m, Cond: c.cond})
			if err == nil || !strings.Contains(err.Error(), c.want) && !(m == Naive && c.name == "out of range" && strings.Contains(err.Error(), "index 12 is out of range")) {
				t.Errorf("%s, %v: %v; want %q", c.name, m, err, c.want)
			}
		}
	}
}

// TestGatedPixelCNNAudit: the audit finds the Gated PixelCNN causal with
// the label held fixed, with no blind spot, and flags the variant whose
// vertical mask includes the row below (structurally, naming conv and tap,
// and by perturbation).
func TestGatedPixelCNNAudit(t *testing.T) {
	t.Parallel()
	g := gatedPixelCNN(t, 10, 7, 7)
	cond := []Cond{{"label", []int64{4}}}
	r, err := Audit(context.Background(), g, AuditOptions{Batch: 8, Cond: cond})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Causal || r.Receptive == nil || r.Receptive.BlindSpot != 0 || r.Cacheable != nil || r.Perturbed != 49 {
		t.Errorf("gated: %v", r)
	}
	w := g.Init("g01/v/W")
	w.Mask = graph.MaskNone
	for i := 0; i < len(w.Const.F32); i += 9 {
		w.Const.F32[i+2*3+1] = 0.3 // tap (2,1): the row below
	}
	r, err = Audit(context.Background(), g, AuditOptions{Batch: 8, Cond: cond})
	if err != nil {
		t.Fatal(err)
	}
	var ce *CausalityError
	if r.Causal || !errors.As(r.Structural, &ce) || ce.Node != "g01/v" || ce.Offset != (graph.Offset{Dy: 1, Dx: 0}) || r.LeakCount == 0 {
		t.Errorf("leaky vertical stack: %v", r)
	}
	// Without its label the perturbation check cannot run: said, not skipped silently.
	r, err = Audit(context.Background(), gatedPixelCNN(t, 10, 7, 7), AuditOptions{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.EmpiricalSkipped, "needs a value") {
		t.Errorf("no label: empirical %q", r.EmpiricalSkipped)
	}
}
