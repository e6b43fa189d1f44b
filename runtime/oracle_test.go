package runtime_test

// Oracle test (issue 3): the Go runtime and ONNX Runtime give the same logits
// for the exported seed PixelCNN, a small q=256 one and a small gated graph
// (testenv.GatedGraph), on real MNIST digits (testdata/mnist), at batch 1
// and 7.

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func TestOracleORT(t *testing.T) {
	test, err := dataset.Load("../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	small := testenv.Q256Config()
	small.Seed = 7
	pixelcnn := func(c graph.Config) func(t *testing.T) *graph.Graph {
		return func(t *testing.T) *graph.Graph {
			g, err := graph.PixelCNN(c)
			if err != nil {
				t.Fatal(err)
			}
			return g
		}
	}
	for _, c := range []struct {
		name string
		g    func(t *testing.T) *graph.Graph
		q    int
	}{
		{"seed", pixelcnn(graph.DefaultConfig()), 4},
		{"small-q256", pixelcnn(small), 256},
		// the layer plan's Gate class (Tanh, Sigmoid, Mul) on the fast chain
		{"gated", func(t *testing.T) *graph.Graph { return testenv.GatedGraph(t, 28, 28, 16, 2, 4) }, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := c.g(t)
			model, err := export.Marshal(g, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Run the file, not the built graph: decode what we wrote.
			dg, err := export.Unmarshal(model, nil)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := runtime.Compile(dg)
			if err != nil {
				t.Fatal(err)
			}
			sess, err := testenv.NewORTSession(t, model, testenv.ORTOptions{IntraOpThreads: 2})
			if err != nil {
				t.Fatal(err)
			}
			q, hw := c.q, 28*28
			for _, batch := range []int{1, 7} {
				x := make([]float32, batch*hw)
				lv := make([]uint8, hw)
				for i := 0; i < batch; i++ {
					dataset.Quantize(lv, test.Image(10+i), q)
					dataset.Scale(x[i*hw:(i+1)*hw], lv, q)
				}
				outs, err := prog.Run(context.Background(), map[string]*graph.Tensor{"pixels": graph.NewFloat32([]int{batch, 1, 28, 28}, x)})
				if err != nil {
					t.Fatal(err)
				}
				got := outs["logits"]
				ref, err := sess.Run(testenv.Float32("pixels", []int64{int64(batch), 1, 28, 28}, x))
				if err != nil {
					t.Fatal(err)
				}
				want := ref[0].Data
				if fmt.Sprint(got.Shape) != fmt.Sprint([]int{batch, q, 28, 28}) || len(got.F32) != len(want) {
					t.Fatalf("batch %d: shape %v, ORT %v", batch, got.Shape, ref[0].Shape)
				}
				// 1e-4: both sum the same float32 products in different orders
				// (the Go kernels vs ORT's MLAS); measured differences are ~5e-7.
				if !testenv.AllClose(t, got.F32, want, 1e-4, 0, "batch %d: logits, Go vs ORT", batch) {
					t.FailNow()
				}
				worst, spread := 0.0, 0.0
				for i := range want {
					worst = max(worst, math.Abs(float64(got.F32[i]-want[i])))
					spread = max(spread, math.Abs(float64(want[i]-want[i%(q*hw)])))
				}
				if batch > 1 && spread == 0 {
					t.Fatal("all images give the same logits: the inputs are not distinct")
				}
				t.Logf("batch %d: max |go-ort| = %.3g over %d logits", batch, worst, len(want))
			}
		})
	}
}
