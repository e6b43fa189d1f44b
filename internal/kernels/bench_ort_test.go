//go:build cgo && !purego

package kernels

import (
	"fmt"
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// ortSeed opens the seed model in ONNX Runtime with one intra-op thread.
func ortSeed(t testing.TB) (*testenv.ORTSession, graph.Config) {
	cfg := graph.DefaultConfig()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	model, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := testenv.NewORTSession(t, model, testenv.ORTOptions{IntraOpThreads: 1})
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg
}

// TestSeedNetMatchesORT runs the seed model through the kernels and through
// ONNX Runtime. Both sum in float32 in different orders over 47 layers; the
// logits are O(1); the largest difference observed is 5e-7, so 1e-4
// absolute leaves a 200x margin and still catches any layout or tap bug.
func TestSeedNetMatchesORT(t *testing.T) {
	if testing.Short() {
		t.Skip("seed model: skipped in -short")
	}
	s, cfg := ortSeed(t)
	const n = 2
	x := randSlice(8, n*cfg.Height*cfg.Width)
	for i := range x {
		x[i] = float32(math.Abs(float64(x[i])))
	}
	out, err := s.Run(testenv.Float32(graph.InputName, []int64{n, 1, int64(cfg.Height), int64(cfg.Width)}, x))
	if err != nil {
		t.Fatal(err)
	}
	got := newSeedNet(t, cfg).forward(x, n)
	want := out[0].Data
	testenv.AllClose(t, got, want, 1e-4, 0, "logits, kernels vs ORT") // 1e-4: see above
	worst := 0.0
	for i := range want {
		worst = max(worst, math.Abs(float64(got[i]-want[i])))
	}
	t.Logf("max |kernels - ORT| = %.3g (backend %s)", worst, Backend())
}

// BenchmarkSeedForwardORT is ONNX Runtime on the same model, one thread, in
// the same process as BenchmarkSeedForward: the ratio is the figure to quote.
func BenchmarkSeedForwardORT(b *testing.B) {
	s, cfg := ortSeed(b)
	b.Logf("ONNX Runtime %s", testenv.ORTVersion(b))
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			x := testenv.Float32(graph.InputName, []int64{int64(n), 1, int64(cfg.Height), int64(cfg.Width)},
				randSlice(1, n*cfg.Height*cfg.Width))
			if _, err := s.Run(x); err != nil {
				b.Fatal(err)
			}
			cpu := testenv.StartCPU(b)
			for b.Loop() {
				if _, err := s.Run(x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "img/s")
			cpu.Report(float64(n*b.N), "img/s")
		})
	}
}
