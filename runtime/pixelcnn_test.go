package runtime

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// pixels returns n images of testenv.TinyConfig's size: quantized
// levels/(q-1), q = 4.
func pixels(n int, seed uint64) *graph.Tensor {
	c := testenv.TinyConfig()
	r := rand.New(rand.NewPCG(seed, 0))
	x := graph.NewFloat32([]int{n, c.Channels, c.Height, c.Width}, nil)
	for i := range x.F32 {
		x.F32[i] = float32(r.IntN(c.Levels)) / float32(c.Levels-1)
	}
	return x
}

func forward(t testing.TB, p *Program, x *graph.Tensor) *graph.Tensor {
	t.Helper()
	out, err := p.Run(context.Background(), map[string]*graph.Tensor{graph.InputName: x})
	if err != nil {
		t.Fatal(err)
	}
	return out[graph.OutputName]
}

// TestPixelCNNBatchAndCausality runs the small PixelCNN at batch 1 and 3:
// item i of the batch-3 run equals the batch-1 run of item i, and perturbing
// input pixel j changes no logit at raster positions <= j and some later one.
func TestPixelCNNBatchAndCausality(t *testing.T) {
	t.Parallel()
	cfg := testenv.TinyConfig()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(g)
	if err != nil {
		t.Fatal(err)
	}
	hw := cfg.Height * cfg.Width
	q := cfg.Levels * cfg.Channels
	x3 := pixels(3, 1)
	y3 := forward(t, p, x3)
	if want := []int{3, q, cfg.Height, cfg.Width}; !sameShape(y3.Shape, want) {
		t.Fatalf("logits shape %v, want %v", y3.Shape, want)
	}
	for i := 0; i < 3; i++ {
		xi := graph.NewFloat32([]int{1, 1, cfg.Height, cfg.Width}, append([]float32{}, x3.F32[i*hw:(i+1)*hw]...))
		yi := forward(t, p, xi)
		// Batch items are computed by the same kernels on the same data:
		// they must agree exactly.
		item := graph.NewFloat32(yi.Shape, y3.F32[i*q*hw:(i+1)*q*hw])
		if err := testenv.CloseTensor(yi, item, 0, 0); err != nil {
			t.Fatalf("item %d of batch 3 differs from its batch-1 run: %v", i, err)
		}
	}

	x := pixels(1, 2)
	base := forward(t, p, x)
	for _, j := range []int{0, 9, 27, 36, hw - 2, hw - 1} {
		t.Run(fmt.Sprintf("pixel=%d", j), func(t *testing.T) {
			xp := x.Clone()
			xp.F32[j] = 1 - xp.F32[j] + 0.37 // any change
			yp := forward(t, p, xp)
			later := false
			for c := 0; c < q; c++ {
				for pos := 0; pos < hw; pos++ {
					k := c*hw + pos
					if yp.F32[k] == base.F32[k] {
						continue
					}
					if pos <= j {
						t.Fatalf("logit (channel %d, position %d) changed after perturbing pixel %d", c, pos, j)
					}
					later = true
				}
			}
			if !later && j < hw-1 {
				t.Fatalf("perturbing pixel %d changed no later logit", j)
			}
		})
	}
}

func BenchmarkPixelCNNForward(b *testing.B) {
	g, err := graph.PixelCNN(graph.DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	p, err := Compile(g)
	if err != nil {
		b.Fatal(err)
	}
	cfg := graph.DefaultConfig()
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("batch=%d", n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(uint64(n), 1))
			x := graph.NewFloat32([]int{n, cfg.Channels, cfg.Height, cfg.Width}, nil)
			for i := range x.F32 {
				x.F32[i] = float32(r.IntN(cfg.Levels)) / float32(cfg.Levels-1)
			}
			in := map[string]*graph.Tensor{graph.InputName: x}
			b.ReportAllocs()
			cpu := testenv.StartCPU(b)
			for b.Loop() {
				if _, err := p.Run(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/image")
			// CPU time over all threads (GEMM and batch workers run in
			// parallel): on a busy machine this is steadier than wall time.
			if c := cpu.Elapsed(); c > 0 {
				b.ReportMetric(float64(c.Nanoseconds())/float64(b.N), "cpu-ns/op")
			}
		})
	}
}
