//go:build cgo

package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// TestExample runs the example against ONNX Runtime (a missing ORT fails
// the test, see internal/testenv) on a file `pixelgraph export` would
// write, and checks what it prints and returns against pixelgraph's Go
// runtime: the softmax of pixel (0,0) agrees to 1e-5 (two float32 engines'
// logits differ by rounding, ~1e-6), and each drawn level is the one the
// same uniform picks from the Go runtime's probabilities, unless the
// uniform lies within 1e-5 of a boundary.
func TestExample(t *testing.T) {
	cfg := testenv.TinyConfig()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	model := filepath.Join(t.TempDir(), "pixelcnn.onnx")
	if err := export.WriteFile(model, g, nil); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	const n, seed = 3, 7
	lib := testenv.ORTLibrary(t)
	if err := run(lib, model, n, seed, &out); err != nil {
		t.Fatal(err)
	}
	t.Log(out.String())
	h, w, q := cfg.Height, cfg.Width, cfg.Levels
	if want := fmt.Sprintf("%s: q = %d levels; p(level) of pixel (0,0) of image 0: [", model, q); !strings.Contains(out.String(), want) {
		t.Errorf("output lacks %q:\n%s", want, out.String())
	}
	probs, levels, err := firstPixel(model, n, rand.New(rand.NewPCG(seed, 0)))
	if err != nil {
		t.Fatal(err)
	}
	res, err := runtime.Run(context.Background(), g, map[string]*graph.Tensor{"pixels": graph.NewFloat32([]int{n, 1, h, w}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	logits := res["logits"].F32
	r := rand.New(rand.NewPCG(seed, 0))
	for i := range n {
		want := make([]float64, q)
		sum := 0.0
		for k := range q {
			want[k] = math.Exp(float64(logits[(i*q+k)*h*w]))
			sum += want[k]
		}
		for k := range want {
			want[k] /= sum
		}
		testenv.AllClose(t, probs[i], want, 1e-5, 0, "image %d: p(level) of pixel (0,0)", i)
		u, lv, near := r.Float64(), q-1, false
		for k, c := 0, 0.0; k < q; k++ {
			c += want[k]
			near = near || math.Abs(u-c) < 1e-5
			if u < c {
				lv = k
				break
			}
		}
		if !near && levels[i] != lv {
			t.Errorf("image %d: drew level %d, the Go runtime's probabilities give %d", i, levels[i], lv)
		}
	}
}
