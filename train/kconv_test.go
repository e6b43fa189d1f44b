package train

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestKernelsGradientsMatchFloat64: the kernels' ops (float32 only) give
// the loss and every parameter gradient of the float64 gorgonia lowering,
// which TestGradientCheck checks against finite differences; dead taps are
// exactly 0. tiny has a fused Relu, an unfused one and a residual Add; small
// is a PixelCNN with its head, whose residual gradients are summed by the
// blocks' first convs (pairResiduals).
func TestKernelsGradientsMatchFloat64(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		g    func(testing.TB) *graph.Graph
		hw   int
	}{
		{"tiny", tinyGraph, 25},
		{"gated", tinyGatedGraph, 25},
		{"small", func(t testing.TB) *graph.Graph { return mustPixelCNN(t, testenv.SmallConfig()) }, 28 * 28},
		{"gated pixelcnn", func(t testing.TB) *graph.Graph {
			g, err := graph.GatedPixelCNN(testenv.GatedConfig(10))
			if err != nil {
				t.Fatal(err)
			}
			return g
		}, 8 * 8},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			const n = 3
			g := c.g(t)
			ref, err := newTrainer(g, Options{Batch: n}, tensor.Float64)
			if err != nil {
				t.Fatal(err)
			}
			ker, err := newTrainer(g, Options{Batch: n}, tensor.Float32)
			if err != nil {
				t.Fatal(err)
			}
			if ref.l.kernels || !ker.l.kernels {
				t.Fatalf("kernels in use: float64 %v, float32 %v; want false, true", ref.l.kernels, ker.l.kernels)
			}
			if c.name == "small" { // every block's h + block(h) sums its gradient in a gradX op
				paired := 0
				for _, u := range ker.l.kconvs {
					if u.k.residTo != nil {
						paired++
					}
				}
				adds := 0
				for _, n := range ker.l.eg.AllNodes() {
					if n.Op() != nil && n.Op().String() == "+" {
						adds++
					}
				}
				if paired != testenv.SmallConfig().Blocks || adds != 0 {
					t.Errorf("%d residual gradients summed by gradX ops, %d gorgonia Adds; want %d, 0", paired, adds, testenv.SmallConfig().Blocks)
				}
			}
			levels := randomLevels(9, n*c.hw, ref.q)
			grads := func(tr *Trainer) (float64, [][]float64) {
				if err := tr.setInput(levels); err != nil {
					t.Fatal(err)
				}
				if len(tr.Conds()) > 0 {
					if err := tr.SetLabels([]int64{7, 0, 7}); err != nil {
						t.Fatal(err)
					}
				}
				for rep := 0; rep < 2; rep++ { // the second run reuses every buffer
					tr.zeroGrads()
					loss, err := tr.forward()
					if err != nil {
						t.Fatal(err)
					}
					if rep == 1 {
						gs, err := tr.gradTensors()
						if err != nil {
							t.Fatal(err)
						}
						out := make([][]float64, len(gs))
						for i, gt := range gs {
							switch d := gt.Data().(type) {
							case []float32:
								for _, v := range d {
									out[i] = append(out[i], float64(v))
								}
							case []float64:
								out[i] = append(out[i], d...)
							}
						}
						return loss, out
					}
				}
				panic("unreachable")
			}
			lref, gref := grads(ref)
			lker, gker := grads(ker)
			// float32 logits carry ~1e-7 relative error; the mean loss of a
			// few nats is then good to ~1e-6.
			testenv.AllClose(t, []float64{lker}, []float64{lref}, 1e-5, 0, "loss, kernels vs float64")
			for i, p := range ker.l.params {
				if ref.l.params[i].v != p.v {
					t.Fatalf("parameter %d: %s vs %s", i, p.v.Name, ref.l.params[i].v.Name)
				}
				if p.v.Mask != graph.MaskNone {
					s := p.v.Const.Shape
					m := graph.Mask(p.v.Mask, s[2], s[3])
					for j, v := range gker[i] {
						if m[j%len(m)] == 0 && v != 0 {
							t.Errorf("%s[%d] is masked but its kernels gradient is %g", p.v.Name, j, v)
						}
					}
				}
				// Gradients are sums over N·H·W pixels of float32 products
				// (≤ 2352 terms here, each rounded at 6e-8 relative): a few
				// 1e-6 of the largest term; 2e-5 absolute (gradients are
				// up to ~0.1) and 1e-3 relative leave room for the
				// different summation orders without hiding a wrong tap,
				// whose error would be the size of the gradient itself.
				testenv.AllClose(t, gker[i], gref[i], 2e-5, 1e-3, "kernels vs float64 d loss/d %s", p.v.Name)
			}
		})
	}
}

// TestConvOption: Options.Conv accepts "", "kernels" and "gorgonia" only,
// and the gorgonia path still trains.
func TestConvOption(t *testing.T) {
	t.Parallel()
	g := tinyGraph(t)
	if _, err := New(g, Options{Batch: 2, Conv: "cudnn"}); err == nil {
		t.Error("Conv \"cudnn\" accepted")
	}
	tr, err := New(g, Options{Batch: 2, Conv: ConvGorgonia})
	if err != nil {
		t.Fatal(err)
	}
	if tr.l.kernels {
		t.Error("Conv gorgonia lowered to the kernels")
	}
	if _, err := tr.stepLevels(randomLevels(3, 2*25, 3)); err != nil {
		t.Fatal(err)
	}
}
