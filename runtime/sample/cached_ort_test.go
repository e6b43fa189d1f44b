package sample

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestCachedMatchesORTNaive drives the reference sampler with ONNX Runtime
// forward passes and checks that the cached sampler draws the same images
// from the same uniforms.
func TestCachedMatchesORTNaive(t *testing.T) {
	for _, q := range []int{4, 256} {
		for _, seed := range []uint64{1, 7, 42} {
			t.Run(fmt.Sprintf("q%d/seed%d", q, seed), func(t *testing.T) {
				g := mustPixelCNN(t, sized(q, 9, 7, seed+100))
				geo, err := GeometryOf(g)
				if err != nil {
					t.Fatal(err)
				}
				opts := Options{N: 3, Seed: seed, Temperature: 1 / float64(seed%3+1)}
				ref, err := NaiveSample(context.Background(), ortForward(t, g, geo), geo, opts)
				if err != nil {
					t.Fatal(err)
				}
				opts.Method = Cached
				got, err := Sample(context.Background(), g, opts)
				if err != nil {
					t.Fatal(err)
				}
				if got.Method != Cached {
					t.Fatalf("ran %v", got.Method)
				}
				if flips := compareImages(t, "cached vs ORT naive", got, ref); flips != 0 {
					t.Errorf("%d boundary flips (expected 0 for these fixed seeds)", flips)
				}
				opts.Method = Naive
				goNaive, err := Sample(context.Background(), g, opts)
				if err != nil {
					t.Fatal(err)
				}
				if flips := compareImages(t, "Go naive vs ORT naive", goNaive, ref); flips != 0 {
					t.Errorf("%d boundary flips (expected 0 for these fixed seeds)", flips)
				}
				t.Logf("levels of image 0: %v", got.Levels[:20])
			})
		}
	}
}

// TestPlanLogitsMatchORT checks the incremental evaluator's logits against
// ONNX Runtime on whole random images: 1e-4 absolute + 1e-4 relative, float32
// sums of a few hundred terms in a different order.
func TestPlanLogitsMatchORT(t *testing.T) {
	for _, q := range []int{4, 256} {
		g := mustPixelCNN(t, sized(q, 9, 7, 5))
		geo, _ := GeometryOf(g)
		pl, err := compile(g)
		if err != nil {
			t.Fatal(err)
		}
		x := randomImages(5, geo.H*geo.W, q, 3)
		want, err := ortForward(t, g, geo)(context.Background(), x, 5)
		if err != nil {
			t.Fatal(err)
		}
		if !testenv.AllClose(t, pl.forward(x, 5, nil), want, 1e-4, 1e-4, "q=%d logits", q) {
			t.FailNow()
		}
	}
}

// TestTorchFixturesORTNaive replays the draws through ONNX Runtime on the
// torch.onnx files themselves and compares with the Go cached sampler.
func TestTorchFixturesORTNaive(t *testing.T) {
	for _, name := range []string{"opset13_dynamic", "opset13_unfolded", "opset11_softmax", "opset17_softmax"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("..", "..", "testdata", "torch", name, "model.onnx")
			g, err := export.DecodeFile(path, nil)
			if err != nil {
				t.Fatal(err)
			}
			model, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			geo, err := GeometryOf(g)
			if err != nil {
				t.Fatal(err)
			}
			fwd := ortModelForward(t, model, geo, testenv.ORTOptions{}, nil)
			for _, seed := range []uint64{4, 5} {
				ref, err := NaiveSample(context.Background(), fwd, geo, Options{N: 3, Seed: seed})
				if err != nil {
					t.Fatal(err)
				}
				got, err := Sample(context.Background(), g, Options{N: 3, Seed: seed, Method: Cached})
				if err != nil {
					t.Fatal(err)
				}
				if flips := compareImages(t, "cached vs ORT naive", got, ref); flips != 0 {
					t.Errorf("%d boundary flips (expected 0 for these fixed seeds)", flips)
				}
			}
		})
	}
}

// TestSeedModelPrefixORT replays the public draw stream (Uniforms,
// Categorical) through ONNX Runtime on the full seed model (15 blocks, 7x7
// mask A) for the first pixels and checks them against the cached sampler:
// pixel p depends only on pixels before it, so a prefix is a complete check
// of those pixels.
func TestSeedModelPrefixORT(t *testing.T) {
	if testing.Short() {
		t.Skip("seed model: skipped in -short")
	}
	const n, prefix, seed = 4, 60, 3
	g := mustPixelCNN(t, graph.DefaultConfig())
	geo, _ := GeometryOf(g)
	for _, temp := range []float64{1, 0.5} {
		got, err := Sample(context.Background(), g, Options{N: n, Seed: seed, Temperature: temp, Method: Cached})
		if err != nil {
			t.Fatal(err)
		}
		fwd := ortForward(t, g, geo)
		px := geo.H * geo.W
		x := make([]float32, n*px)
		u := make([][]float64, n)
		for i := range u {
			u[i] = Uniforms(seed, i, px)
		}
		near := 0
		for p := 0; p < prefix; p++ {
			logits, err := fwd(context.Background(), x, n)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < n; i++ {
				l, nr := Categorical(logits[i*geo.Q*px+p:], px, geo.Q, temp, u[i][p])
				if nr {
					near++
				}
				if int32(l) != got.Levels[i*px+p] {
					t.Fatalf("T=%g image %d pixel %d: ORT draws %d, cached %d (near boundary: %v)", temp, i, p, l, got.Levels[i*px+p], nr)
				}
				x[i*px+p] = float32(l) / float32(geo.Q-1)
			}
		}
		t.Logf("T=%g: %d pixels x %d images equal; %d draws near a boundary", temp, prefix, n, near)
	}
}

// TestGatedCachedMatchesORTNaive: the conditional Gated PixelCNN sampled by
// the reference sampler on ONNX Runtime (each image's label fed with its
// pixels) and by the Go cached sampler draw the same images from the same
// uniforms.
func TestGatedCachedMatchesORTNaive(t *testing.T) {
	cfg := testenv.GatedConfig(10)
	cfg.Height, cfg.Width = 9, 8
	g, err := graph.GatedPixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	geo, err := GeometryOf(g)
	if err != nil {
		t.Fatal(err)
	}
	model, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	labels := []int64{0, 3, 9, 5}
	fwd := ortModelForward(t, model, geo, testenv.ORTOptions{}, labels)
	for _, seed := range []uint64{1, 7} {
		opts := Options{N: 4, Seed: seed, Temperature: 1 / float64(seed%3+1), Cond: []Cond{{"label", labels}}}
		ref, err := NaiveSample(context.Background(), fwd, geo, opts)
		if err != nil {
			t.Fatal(err)
		}
		opts.Method = Cached
		got, err := Sample(context.Background(), g, opts)
		if err != nil {
			t.Fatal(err)
		}
		if flips := compareImages(t, "cached vs ORT naive", got, ref); flips != 0 {
			t.Errorf("seed %d: %d boundary flips (expected 0 for these fixed seeds)", seed, flips)
		}
	}
}
