//go:build cgo && !purego && unix

package runtime_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// BenchmarkForwardVsORT times the seed model's forward pass in the Go
// runtime and in ONNX Runtime, in the same process, at batch 1 and 16 with
// 1 and 2 threads (Options.Threads; ORT's intra-op threads). The machine is
// shared, so each iteration runs the two engines back to back (alternating
// which goes first) and the figures are medians over iterations:
//
//	go-img/s, ort-img/s   median wall-clock rate of each engine
//	go/ort                ratio of the two medians (the figure to quote)
//	go-cpu-ms/img, ort-cpu-ms/img
//	                      process CPU time per image (getrusage), summed over
//	                      threads: the work each engine does, free of the
//	                      time spent waiting for a core
//
// Command (see docs/BENCHMARKS.md; PIXELGRAPH_CPU=avx2 or generic for the
// other kernel levels):
//
//	go test -run '^$' -bench ForwardVsORT -benchtime 5x ./runtime/
func BenchmarkForwardVsORT(b *testing.B) {
	cfg := graph.DefaultConfig()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		b.Fatal(err)
	}
	model, err := export.Marshal(g, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("backend %s; ONNX Runtime %s", kernels.Backend(), testenv.ORTVersion(b))
	for _, n := range []int{1, 16} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("batch=%d/threads=%d", n, threads), func(b *testing.B) {
				p, err := runtime.CompileWith(g, runtime.Options{Threads: threads})
				if err != nil {
					b.Fatal(err)
				}
				sess, err := testenv.NewORTSession(b, model, testenv.ORTOptions{IntraOpThreads: threads})
				if err != nil {
					b.Fatal(err)
				}
				shape := []int{n, cfg.Channels, cfg.Height, cfg.Width}
				x := graph.NewFloat32(shape, nil)
				r := rand.New(rand.NewPCG(uint64(n), 2))
				for i := range x.F32 {
					x.F32[i] = float32(r.IntN(cfg.Levels)) / float32(cfg.Levels-1)
				}
				in := map[string]*graph.Tensor{graph.InputName: x}
				xo := testenv.Float32(graph.InputName, []int64{int64(n), int64(cfg.Channels), int64(cfg.Height), int64(cfg.Width)}, x.F32)
				runGo := func() {
					if _, err := p.Run(context.Background(), in); err != nil {
						b.Fatal(err)
					}
				}
				runORT := func() {
					if _, err := sess.Run(xo); err != nil {
						b.Fatal(err)
					}
				}
				for range 2 { // warm up: plans, buffers, ORT's arenas
					runGo()
					runORT()
				}
				var goWall, ortWall []time.Duration
				var goCPU, ortCPU time.Duration
				timed := func(f func(), wall *[]time.Duration, cpu *time.Duration) {
					c0, t0 := testenv.CPUTime(), time.Now()
					f()
					*wall = append(*wall, time.Since(t0))
					*cpu += testenv.CPUTime() - c0
				}
				i := 0
				for b.Loop() {
					if i%2 == 0 {
						timed(runGo, &goWall, &goCPU)
						timed(runORT, &ortWall, &ortCPU)
					} else {
						timed(runORT, &ortWall, &ortCPU)
						timed(runGo, &goWall, &goCPU)
					}
					i++
				}
				goRate := float64(n) / median(goWall).Seconds()
				ortRate := float64(n) / median(ortWall).Seconds()
				b.ReportMetric(goRate, "go-img/s")
				b.ReportMetric(ortRate, "ort-img/s")
				b.ReportMetric(goRate/ortRate, "go/ort")
				imgs := float64(n * i)
				b.ReportMetric(goCPU.Seconds()*1e3/imgs, "go-cpu-ms/img")
				b.ReportMetric(ortCPU.Seconds()*1e3/imgs, "ort-cpu-ms/img")
			})
		}
	}
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
