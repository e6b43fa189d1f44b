package export_test

// Interop of the Gated PixelCNN (issue 16): the file passes the onnx
// checker's full_check, its bytes are deterministic, ONNX Runtime runs it
// with its label input and agrees with the Go runtime, and it is causal in
// ONNX Runtime with the label held fixed (a leaky variant is caught).

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func gatedModel(t *testing.T, cfg graph.Config) (*graph.Graph, []byte) {
	t.Helper()
	g, err := graph.GatedPixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return g, b
}

func TestGatedCheckerAndBytes(t *testing.T) {
	for _, classes := range []int{0, 10} {
		for _, opset := range []int{13, 17} {
			t.Run(fmt.Sprintf("classes%d/opset%d", classes, opset), func(t *testing.T) {
				cfg := testenv.GatedConfig(classes)
				g, err := graph.GatedPixelCNN(cfg)
				if err != nil {
					t.Fatal(err)
				}
				b1, err := export.Marshal(g, &export.Options{Opset: opset})
				if err != nil {
					t.Fatal(err)
				}
				testenv.CheckModelBytes(t, b1)
				g2, err := export.Decode(bytes.NewReader(b1), nil)
				if err != nil {
					t.Fatal(err)
				}
				if *g2.Config != cfg {
					t.Errorf("config restored as %+v, want %+v", *g2.Config, cfg)
				}
				b2, err := export.Marshal(g2, &export.Options{Opset: opset})
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(b1, b2) {
					t.Error("encode -> decode -> encode changed the bytes")
				}
			})
		}
	}
}

func TestGatedORTMatchesRuntime(t *testing.T) {
	cfg := testenv.GatedConfig(10)
	g, b := gatedModel(t, cfg)
	s, err := testenv.NewORTSession(t, b, testenv.ORTOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 5
	hw := cfg.Height * cfg.Width
	x := randomLevels(rand.New(rand.NewPCG(7, 8)), n, hw, cfg.Levels)
	labels := []int64{3, 0, 9, 3, 7}
	shape := []int64{n, 1, int64(cfg.Height), int64(cfg.Width)}
	out, err := s.Run(testenv.Float32("pixels", shape, x), testenv.ORTTensor{Name: "label", Shape: []int64{n}, Int64: labels})
	if err != nil {
		t.Fatal(err)
	}
	got, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{
		"pixels": graph.NewFloat32([]int{n, 1, cfg.Height, cfg.Width}, x),
		"label":  graph.NewInt64([]int{n}, labels)})
	if err != nil {
		t.Fatal(err)
	}
	// float32 sums in another order: 1e-4 absolute + relative on logits ~1.
	testenv.AllClose(t, got["logits"].F32, out[0].Data, 1e-4, 1e-4, "logits")
}

// TestGatedORTMNIST: on real MNIST test digits with their labels, ONNX
// Runtime's logits equal the Go runtime's (chain) within 1e-4, for the
// default-sized conditional model.
func TestGatedORTMNIST(t *testing.T) {
	cfg := graph.DefaultGatedConfig()
	cfg.Classes = 10
	g, b := gatedModel(t, cfg)
	im, err := dataset.Load("../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	x := make([]float32, n*28*28)
	levels := make([]uint8, 28*28)
	labels := make([]int64, n)
	for i := range n {
		dataset.Quantize(levels, im.Image(i), cfg.Levels)
		dataset.Scale(x[i*28*28:(i+1)*28*28], levels, cfg.Levels)
		labels[i] = int64(im.Labels[i])
	}
	s, err := testenv.NewORTSession(t, b, testenv.ORTOptions{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out, err := s.Run(testenv.Float32("pixels", []int64{n, 1, 28, 28}, x), testenv.ORTTensor{Name: "label", Shape: []int64{n}, Int64: labels})
	if err != nil {
		t.Fatal(err)
	}
	got, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{
		"pixels": graph.NewFloat32([]int{n, 1, 28, 28}, x), "label": graph.NewInt64([]int{n}, labels)})
	if err != nil {
		t.Fatal(err)
	}
	// float32 sums of up to 1k terms in another order: 1e-4 + 1e-4·|x|
	testenv.AllClose(t, got["logits"].F32, out[0].Data, 1e-4, 1e-4, "logits on MNIST with labels")
}

// TestGatedORTCausal: the conditional Gated PixelCNN is causal in ONNX
// Runtime with the label held fixed (every input pixel perturbed in turn),
// and the variant whose vertical mask includes the row below is caught.
func TestGatedORTCausal(t *testing.T) {
	cfg := testenv.GatedConfig(10)
	_, b := gatedModel(t, cfg)
	label := testenv.ORTTensor{Name: "label", Int64: []int64{6}}
	if err := ortCausality(t, b, cfg, label); err != nil {
		t.Fatal(err)
	}
	g, err := graph.GatedPixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := g.Init("g01/v/W")
	w.Mask = graph.MaskNone // pretend it is unmasked so the encoder accepts it
	for i := 2*3 + 1; i < len(w.Const.F32); i += 9 {
		w.Const.F32[i] = 0.5 // tap (2,1): the row below
	}
	leaky, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := ortCausality(t, leaky, cfg, label); err == nil {
		t.Fatal("a leaking gated model passed the causality check")
	} else {
		t.Logf("caught: %v", err)
	}
}
