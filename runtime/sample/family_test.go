package sample

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

func familyModel(t *testing.T, name string) (*graph.Graph, []byte) {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "torch_family", name, "model.onnx")
	g, err := export.DecodeFile(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return g, b
}

// TestFamilyAudit: the audit judges the torch.onnx Gated PixelCNNs causal
// (the label held fixed) and the PixelCNN++ files causal (every channel of
// a pixel perturbed together), and flags the leaky variant of each: the
// gated one whose vertical stack is not shifted down structurally (naming
// the conv) and by perturbation, PixelCNN++ without its right shift by
// perturbation (its plan is generic: the structural check cannot decide).
func TestFamilyAudit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name       string
		causal     bool
		structural bool // decided structurally
	}{
		{"gated_opset13", true, true},
		{"gated_opset17", true, true},
		{"gated_leaky", false, true},
		{"pixelcnnpp_opset13", true, false},
		{"pixelcnnpp_opset17", true, false},
		{"pixelcnnpp_leaky", false, false},
	} {
		g, _ := familyModel(t, c.name)
		var cond []Cond
		if len(graph.CondInputs(g)) > 0 {
			cond = []Cond{{"label", []int64{3}}}
		}
		r, err := Audit(context.Background(), g, AuditOptions{Batch: 64, Cond: cond})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s:\n%v", c.name, r)
		if r.Causal != c.causal || r.Perturbed != 64 || (r.StructuralSkipped == "") != c.structural {
			t.Errorf("%s: causal %v, perturbed %d, structural skipped %q", c.name, r.Causal, r.Perturbed, r.StructuralSkipped)
		}
		var ce *CausalityError
		if c.name == "gated_leaky" && (!errors.As(r.Structural, &ce) || ce.Node != "/inp/vstack_1xN/Conv" || r.LeakCount == 0) {
			t.Errorf("gated_leaky: structural %v, %d leaks", r.Structural, r.LeakCount)
		}
		if c.name == "pixelcnnpp_leaky" && r.LeakCount == 0 {
			t.Error("pixelcnnpp_leaky: no leak found by perturbation")
		}
	}
}

// TestFamilyGatedSampling: the torch.onnx Gated PixelCNN is sampled by the
// cached sampler on its fast plan (the vertical stack, which sees its own
// row, trailing behind the pixels), drawing the Go naive sampler's images
// and ONNX Runtime's naive ones for the same seed, uniforms and labels; the
// softmax file (opset 17) through its probabilities.
func TestFamilyGatedSampling(t *testing.T) {
	for _, name := range []string{"gated_opset13", "gated_opset17"} {
		t.Run(name, func(t *testing.T) {
			g, model := familyModel(t, name)
			geo, err := GeometryOf(g)
			if err != nil {
				t.Fatal(err)
			}
			if err := Prove(g); err != nil {
				t.Fatalf("cached sampling refused: %v", err)
			}
			labels := []int64{2, 7, 7}
			fwd := ortModelForward(t, model, geo, testenv.ORTOptions{}, labels)
			for _, seed := range []uint64{3, 4} {
				opts := Options{N: 3, Seed: seed, Cond: []Cond{{"label", labels}}}
				ref, err := NaiveSample(context.Background(), fwd, geo, opts)
				if err != nil {
					t.Fatal(err)
				}
				got := checkCachedEqualsNaive(t, g, opts)
				if flips := compareImages(t, "cached vs ORT naive", got, ref); flips != 0 {
					t.Errorf("seed %d: %d boundary flips (expected 0 for these fixed seeds)", seed, flips)
				}
			}
		})
	}
}
