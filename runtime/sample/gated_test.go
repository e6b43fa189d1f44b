package sample

import (
	"context"
	"errors"
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
	for _, o := range append(pl.pre, pl.post...) {
		if _, ok := o.(*gateOp); ok {
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
