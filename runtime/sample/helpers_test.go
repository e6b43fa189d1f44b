package sample

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// sized is testenv.SmallConfig (small enough for hundreds of naive passes)
// with q levels, h×w images and an initializer seed.
func sized(q, h, w int, seed uint64) graph.Config {
	c := testenv.SmallConfig()
	c.Levels, c.Height, c.Width, c.Seed = q, h, w, seed
	return c
}

func mustPixelCNN(t testing.TB, c graph.Config) *graph.Graph {
	t.Helper()
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// ortForward wraps an ONNX Runtime session (one thread) on g's ONNX encoding.
func ortForward(t testing.TB, g *graph.Graph, geo Geometry) Forward {
	t.Helper()
	return ortForwardOpts(t, g, geo, testenv.ORTOptions{})
}

func ortForwardOpts(t testing.TB, g *graph.Graph, geo Geometry, opts testenv.ORTOptions) Forward {
	t.Helper()
	model, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	return ortModelForward(t, model, geo, opts, nil)
}

// ortModelForward runs a model's bytes in ONNX Runtime as a Forward: x to
// its first input and, when labels is not nil, labels[:n] to its input
// "label" (a class-conditional model).
func ortModelForward(t testing.TB, model []byte, geo Geometry, opts testenv.ORTOptions, labels []int64) Forward {
	t.Helper()
	s, err := testenv.NewORTSession(t, model, opts)
	if err != nil {
		t.Fatal(err)
	}
	in := s.Inputs[0].Name
	return func(ctx context.Context, x []float32, n int) ([]float32, error) {
		ins := []testenv.ORTTensor{testenv.Float32(in, []int64{int64(n), 1, int64(geo.H), int64(geo.W)}, x)}
		if labels != nil {
			ins = append(ins, testenv.ORTTensor{Name: "label", Shape: []int64{int64(n)}, Int64: labels[:n]})
		}
		out, err := s.Run(ins...)
		if err != nil {
			return nil, err
		}
		return out[0].Data, nil
	}
}

// compareImages fails unless a and b hold the same levels, except that
// after a near-boundary draw (in either) an image may diverge; it returns
// how many images diverged that way.
func compareImages(t *testing.T, what string, a, b *Result) int {
	t.Helper()
	if a.N != b.N || len(a.Levels) != len(b.Levels) {
		t.Fatalf("%s: %d vs %d images", what, a.N, b.N)
	}
	px := a.H * a.W
	near := map[int]bool{}
	for _, k := range a.NearBoundary {
		near[k] = true
	}
	for _, k := range b.NearBoundary {
		near[k] = true
	}
	flips := 0
	for i := 0; i < a.N; i++ {
		for p := 0; p < px; p++ {
			k := i*px + p
			if a.Levels[k] == b.Levels[k] {
				continue
			}
			if near[k] {
				t.Logf("%s: image %d pixel %d: levels %d vs %d at a near-boundary draw (allowed; counted)", what, i, p, a.Levels[k], b.Levels[k])
				flips++
			} else {
				t.Errorf("%s: image %d first differs at pixel %d: %d vs %d (not near a boundary)", what, i, p, a.Levels[k], b.Levels[k])
			}
			break
		}
	}
	t.Logf("%s: %d+%d draws within %g of a CDF boundary, %d flipped", what, len(a.NearBoundary), len(b.NearBoundary), BoundaryEps, flips)
	return flips
}

// randomImages returns n images of levels in 0..q−1 scaled to [0,1].
func randomImages(n, px, q int, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 0))
	x := make([]float32, n*px)
	for i := range x {
		x[i] = float32(r.IntN(q)) / float32(q-1)
	}
	return x
}
