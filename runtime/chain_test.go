package runtime

import (
	"context"
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// chainConfigs are small PixelCNNs with every layer kind of the seed model;
// "odd" has non-square images and channel counts that are not multiples of
// a vector width.
func chainConfigs() map[string]graph.Config {
	odd := graph.DefaultConfig()
	odd.Height, odd.Width, odd.Filters, odd.Hidden, odd.Head, odd.Blocks = 9, 7, 10, 6, 5, 3
	return map[string]graph.Config{"small": smallConfig(), "odd": odd}
}

// TestChainFusedEqualsUnfused runs small PixelCNNs three ways: the chain
// with fusion, the chain without (every Relu and Add its own pass) and the
// generic node-by-node path. Fusion only moves exact operations (max(v, 0)
// before or after the same float32 sums), and all three use the same conv
// kernels on the same data, so the logits must be bit-identical, at every
// batch size and thread count (batches are cut into chunks differently).
func TestChainFusedEqualsUnfused(t *testing.T) {
	t.Parallel()
	for name, cfg := range chainConfigs() {
		g, err := graph.PixelCNN(cfg)
		if err != nil {
			t.Fatal(err)
		}
		for _, threads := range []int{1, 2, 3} {
			fused, err := CompileWith(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			unfused, err := CompileWith(g, Options{Threads: threads, NoFusion: true})
			if err != nil {
				t.Fatal(err)
			}
			generic, err := CompileWith(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			generic.chain = nil
			if fused.chain == nil || unfused.chain == nil {
				t.Fatalf("%s: PixelCNN did not compile to a chain", name)
			}
			// Fused: one op per conv and per residual Add; every Relu is gone.
			if got, want := len(fused.chain.ops), 3*cfg.Blocks+4+cfg.Blocks; got != want {
				t.Errorf("%s: fused chain has %d ops, want %d (convs and Adds only)", name, got, want)
			}
			if got, want := len(unfused.chain.ops), len(g.Nodes); got != want {
				t.Errorf("%s: unfused chain has %d ops, want one per node (%d)", name, got, want)
			}
			for _, n := range []int{1, 2, 5, 9} {
				t.Run(fmt.Sprintf("%s/threads=%d/batch=%d", name, threads, n), func(t *testing.T) {
					x := graph.NewFloat32([]int{n, cfg.Channels, cfg.Height, cfg.Width}, nil)
					for i := range x.F32 {
						x.F32[i] = float32((i*7919)%cfg.Levels) / float32(cfg.Levels-1)
					}
					want := forward(t, generic, x)
					for _, p := range []*Program{fused, unfused} {
						if err := allClose(forward(t, p, x), want, 0, 0); err != nil {
							t.Fatalf("fusion %v: %v", p.chain.fused, err)
						}
						// Twice: states come back from the pool dirty.
						if err := allClose(forward(t, p, x), want, 0, 0); err != nil {
							t.Fatalf("fusion %v, second run: %v", p.chain.fused, err)
						}
					}
				})
			}
		}
	}
}

// TestChainAllocs: in steady state a Run of the PixelCNN allocates only its
// result (map, tensor, shape, data) and the goroutines of the batch split,
// however deep the model: no activation buffer is allocated per Run.
func TestChainAllocs(t *testing.T) {
	for _, blocks := range []int{1, 4} {
		for _, threads := range []int{1, 2} {
			cfg := smallConfig()
			cfg.Blocks = blocks
			g, err := graph.PixelCNN(cfg)
			if err != nil {
				t.Fatal(err)
			}
			p, err := CompileWith(g, Options{Threads: threads})
			if err != nil {
				t.Fatal(err)
			}
			in := map[string]*graph.Tensor{graph.InputName: pixels(8, 3)}
			ctx := context.Background()
			run := func() {
				if _, err := p.Run(ctx, in); err != nil {
					t.Fatal(err)
				}
			}
			run()
			const bound = 12
			if a := testing.AllocsPerRun(20, run); a > bound {
				t.Errorf("blocks %d, threads %d: %.1f allocations per Run, want <= %d", blocks, threads, a, bound)
			} else {
				t.Logf("blocks %d, threads %d: %.1f allocations per Run", blocks, threads, a)
			}
		}
	}
}

// TestAddF32 checks the chain's Add against the plain loop, in place and
// not, at lengths around the cgo cutoff and the unrolling.
func TestAddF32(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, 7, 8, 9, 63, 64, 65, 1000} {
		a, b := make([]float32, n), make([]float32, n)
		for i := range a {
			a[i], b[i] = float32(i)*0.37-3, float32(n-i)*1.13
		}
		want := make([]float32, n)
		for i := range want {
			want[i] = a[i] + b[i]
		}
		for _, f := range []struct {
			name string
			add  func(y, a, b []float32)
		}{{"addF32", addF32}, {"addF32Go", addF32Go}} {
			y := make([]float32, n)
			f.add(y, a, b)
			inPlace := append([]float32{}, a...)
			f.add(inPlace, inPlace, b)
			for i := range want {
				if y[i] != want[i] || inPlace[i] != want[i] {
					t.Fatalf("%s, n=%d: [%d] = %g (in place %g), want %g", f.name, n, i, y[i], inPlace[i], want[i])
				}
			}
		}
	}
}
