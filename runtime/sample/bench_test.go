package sample

import (
	"context"
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// The benchmarks below sample 16 images of the seed model (28x28, q=4, 15
// residual blocks; graph.DefaultConfig). One op is always the whole batch
// of 784 pixels. The naive loops are timed on a prefix of passes and
// extrapolated: every pass is a full forward pass of the batch and costs
// the same whatever the pixel, so ns/op = ns/pass · 784 (reported as
// ns/batch; the Go ns/op itself covers the prefix only).

// BenchmarkCachedSeed16 samples with the cached sampler (GOMAXPROCS workers).
func BenchmarkCachedSeed16(b *testing.B) {
	g := mustPixelCNN(b, graph.DefaultConfig())
	cpu := testenv.StartCPU(b)
	for b.Loop() {
		if _, err := Sample(context.Background(), g, Options{N: 16, Seed: 1, Method: Cached}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/batch")
	b.ReportMetric(float64(cpu.Elapsed())/float64(b.N), "cpu-ns/batch")
}

// naivePrefix runs the first prefix pixels of the naive loop with fwd.
func naivePrefix(b *testing.B, fwd Forward, geo Geometry, prefix int) {
	px := geo.H * geo.W
	x := make([]float32, 16*px)
	if _, err := fwd(context.Background(), x, 16); err != nil { // warm up
		b.Fatal(err)
	}
	b.ResetTimer()
	cpu := testenv.StartCPU(b)
	for b.Loop() {
		for p := 0; p < prefix; p++ {
			logits, err := fwd(context.Background(), x, 16)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 16; i++ {
				l, _ := Categorical(logits[i*geo.Q*px+p:], px, geo.Q, 1, 0.5)
				x[i*px+p] = float32(l) / float32(geo.Q-1)
			}
		}
	}
	pass := float64(b.Elapsed().Nanoseconds()) / float64(b.N) / float64(prefix)
	b.ReportMetric(pass, "ns/pass")
	b.ReportMetric(pass*float64(px), "ns/batch")
	b.ReportMetric(float64(cpu.Elapsed())/float64(b.N)/float64(prefix)*float64(px), "cpu-ns/batch")
}

// BenchmarkNaiveGoSeed16 times the Go runtime's naive loop on 2 passes.
func BenchmarkNaiveGoSeed16(b *testing.B) {
	g := mustPixelCNN(b, graph.DefaultConfig())
	geo, _ := GeometryOf(g)
	naivePrefix(b, GraphForward(g), geo, 2)
}

// BenchmarkORTNaiveSeed16 times ONNX Runtime's naive loop on 16 passes,
// with 1 intra-op thread (testenv's default) and with 2.
func BenchmarkORTNaiveSeed16(b *testing.B) {
	g := mustPixelCNN(b, graph.DefaultConfig())
	geo, _ := GeometryOf(g)
	for _, th := range []int{1, 2} {
		b.Run(fmt.Sprintf("threads%d", th), func(b *testing.B) {
			naivePrefix(b, ortForwardOpts(b, g, geo, testenv.ORTOptions{IntraOpThreads: th}), geo, 16)
		})
	}
}
