package sample

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func TestAudit(t *testing.T) {
	t.Parallel()
	c := sized(4, 7, 7, 8)
	for _, tc := range []struct {
		name    string
		g       *graph.Graph
		causal  bool
		node    string
		off     graph.Offset
		leakOut [2]int // an output position a leak must be reported at, relative to the input pixel
	}{
		{name: "built model", g: mustPixelCNN(t, c), causal: true},
		{name: "mask applied by Mul", g: mulMasked(t, c), causal: true},
		{name: "first conv sees its centre", g: leaky(t, c, "in", 3, 3), node: "in", off: graph.Offset{}},
		{name: "3x3 conv sees the row below", g: leaky(t, c, "res00/b", 2, 0), node: "res00/b", off: graph.Offset{Dy: 1, Dx: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := Audit(context.Background(), tc.g, AuditOptions{Batch: 8})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("report:\n%v", r)
			if r.Causal != tc.causal {
				t.Fatalf("Causal = %v, want %v", r.Causal, tc.causal)
			}
			if r.Perturbed != 49 || r.EmpiricalSkipped != "" {
				t.Errorf("perturbed %d pixels (%q), want 49", r.Perturbed, r.EmpiricalSkipped)
			}
			if tc.causal {
				if r.Structural != nil || r.LeakCount != 0 || r.Cacheable != nil {
					t.Errorf("causal graph flagged: %v", r)
				}
				return
			}
			var ce *CausalityError
			if !errors.As(r.Structural, &ce) || ce.Node != tc.node || ce.Offset != tc.off {
				t.Errorf("structural = %v, want node %s offset %v", r.Structural, tc.node, tc.off)
			}
			if r.LeakCount == 0 {
				t.Error("empirical check found no leak")
			}
			for _, l := range r.Leaks {
				if l.OutRow*7+l.OutCol > l.InRow*7+l.InCol {
					t.Errorf("leak after the input pixel reported: %v", l)
				}
			}
			if !strings.Contains(r.String(), "NOT causal") || !strings.Contains(r.String(), tc.node) {
				t.Errorf("report text does not say it:\n%v", r)
			}
		})
	}
}
