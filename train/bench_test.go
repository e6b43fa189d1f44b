package train

import (
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// BenchmarkTrainStep times one training step (forward, backward, global
// clip, Adam) and reports images/s, and images per CPU-second of the whole
// process (GC included), which other load on the machine does not distort.
// Run single-threaded as the speed issue measures:
//
//	go test ./train -run - -bench TrainStep -cpu 1 -benchtime 5x
//
// Options.Conv is the default (the kernels); docs/BENCHMARKS.md "Training"
// has the figures beside PyTorch's.
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name  string
		cfg   graph.Config
		batch int
	}{
		{"seed", graph.DefaultConfig(), 16},
		{"seed", graph.DefaultConfig(), 64},
		{"small", issueSmallConfig(), 16}, // filters 32, hidden 16, blocks 3, head 128
	} {
		b.Run(fmt.Sprintf("%s/batch=%d", c.name, c.batch), func(b *testing.B) {
			if testing.Short() && c.name == "seed" {
				b.Skip("seed model in -short mode")
			}
			tr, err := New(mustPixelCNN(b, c.cfg), Options{Batch: c.batch})
			if err != nil {
				b.Fatal(err)
			}
			levels := randomLevels(1, c.batch*c.cfg.Height*c.cfg.Width, c.cfg.Levels)
			if _, err := tr.stepLevels(levels); err != nil { // warm-up: first allocations
				b.Fatal(err)
			}
			cpu := testenv.StartCPU(b)
			b.ResetTimer()
			for b.Loop() {
				if _, err := tr.stepLevels(levels); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(c.batch)*float64(b.N)/b.Elapsed().Seconds(), "img/s")
			if s := cpu.Elapsed().Seconds(); s > 0 {
				b.ReportMetric(float64(c.batch)*float64(b.N)/s, "img/cpu-s")
			}
		})
	}
}
