package layers

import (
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

func smallGated(t *testing.T, classes int) *graph.Graph {
	t.Helper()
	c := graph.DefaultGatedConfig()
	c.Height, c.Width, c.Filters, c.Layers, c.Head, c.Classes = 8, 8, 4, 3, 8, classes
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGatedPlanGolden: the conditional Gated PixelCNN's plan with every
// rule (go test ./internal/layers -update rewrites testdata/gated_small.plan).
func TestGatedPlanGolden(t *testing.T) {
	planGolden(t, build(t, smallGated(t, 3), FuseAll), "gated_small.plan")
}

// TestBlindSpot: the seed PixelCNN's masked stack cannot see the pixels up
// and to the right within its reach (a blind spot); the Gated PixelCNN's two
// stacks see every earlier pixel within theirs. `pixelgraph inspect` and
// `audit` print this figure.
func TestBlindSpot(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		cfg   graph.Config
		blind bool
	}{
		{"seed", graph.DefaultConfig(), true},
		{"small pixelcnn", func() graph.Config {
			c := graph.DefaultConfig()
			c.Blocks = 2
			return c
		}(), true},
		{"gated", graph.DefaultGatedConfig(), false},
		{"gated conditional", func() graph.Config {
			c := graph.DefaultGatedConfig()
			c.Classes, c.Layers = 10, 4
			return c
		}(), false},
	} {
		g, err := graph.Build(c.cfg)
		if err != nil {
			t.Fatal(err)
		}
		p := build(t, g, FuseAll)
		out, _ := p.ValueOf(g.Outputs[0])
		rf, err := p.Receptive(out, p.Input)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %v", c.name, rf)
		if !rf.Causal || (rf.BlindSpot > 0) != c.blind {
			t.Errorf("%s: %v; want a blind spot: %v", c.name, rf, c.blind)
		}
		if c.name == "seed" && rf.BlindSpot != 120 {
			t.Errorf("seed: blind spot %d; README says 120", rf.BlindSpot)
		}
	}
}
