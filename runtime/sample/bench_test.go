package sample

import (
	"context"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// BenchmarkCachedSeed16 samples 16 images of the seed model (28x28, q=4,
// 15 blocks) with the cached sampler: one op is the whole batch.
func BenchmarkCachedSeed16(b *testing.B) {
	g := mustPixelCNN(b, graph.DefaultConfig())
	for b.Loop() {
		if _, err := Sample(context.Background(), g, Options{N: 16, Seed: 1, Method: Cached}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkORTNaiveSeed16 times ONNX Runtime's naive loop for 16 images of
// the seed model (one intra-op thread, testenv's default): a prefix of
// ortPrefix passes of batch 16 is timed and the per-op time is extrapolated
// to the 784 passes of a whole image (every pass costs the same, whatever
// the pixel). The reported ns/op is the extrapolated whole-batch time.
func BenchmarkORTNaiveSeed16(b *testing.B) {
	const ortPrefix = 16
	g := mustPixelCNN(b, graph.DefaultConfig())
	geo, err := GeometryOf(g)
	if err != nil {
		b.Fatal(err)
	}
	fwd := ortForward(b, g, geo)
	x := make([]float32, 16*geo.H*geo.W)
	if _, err := fwd(context.Background(), x, 16); err != nil { // warm up
		b.Fatal(err)
	}
	px := geo.H * geo.W
	b.ResetTimer()
	for b.Loop() {
		for p := 0; p < ortPrefix; p++ {
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
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*float64(px)/ortPrefix, "ns/op-extrapolated")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ortPrefix, "ns/pass")
}
