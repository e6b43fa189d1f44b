package train

import (
	"testing"

	"gorgonia.org/tensor"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestGradientCheck compares gorgonia's gradients of the loss with central
// finite differences, in float64, on a tiny graph with a mask-A and a
// mask-B conv, for every parameter element; masked taps must have a
// gradient of exactly 0. In float64 convs are gorgonia's; the default
// options check the fused loss (nllOp), ConvGorgonia gorgonia's elementwise
// one. TestKernelsGradientsMatchFloat64 carries the check over to the
// float32 kernels.
func TestGradientCheck(t *testing.T) {
	t.Parallel()
	for _, conv := range []string{ConvKernels, ConvGorgonia} {
		t.Run(conv, func(t *testing.T) {
			t.Parallel()
			gradientCheck(t, conv, tinyGraph(t), 4*(1*9-4)+4*(4*9-4*5))
		})
	}
}

// TestGateGradientCheck is TestGradientCheck on a graph with a gate
// tanh(f)·σ(s) of two mask-A convs: the gate layer's gradient op (gateOp,
// one op of the plan's Gate class) against finite differences.
func TestGateGradientCheck(t *testing.T) {
	t.Parallel()
	gradientCheck(t, ConvKernels, tinyGatedGraph(t), 2*4*(9-4))
}

func gradientCheck(t *testing.T, conv string, g *graph.Graph, wantMasked int, labels ...int64) {
	const n, q = 2, 3
	tr, err := newTrainer(g, Options{Batch: n, Conv: conv}, tensor.Float64)
	if err != nil {
		t.Fatal(err)
	}
	if len(labels) > 0 {
		if err := tr.SetLabels(labels); err != nil {
			t.Fatal(err)
		}
	}
	levels := randomLevels(5, n*25, q)
	if err := tr.setInput(levels); err != nil {
		t.Fatal(err)
	}
	cost := func() float64 {
		tr.zeroGrads()
		c, err := tr.forward()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	cost()
	gs, err := tr.gradTensors()
	if err != nil {
		t.Fatal(err)
	}
	analytic := make([][]float64, len(gs))
	for i, gt := range gs {
		analytic[i] = append([]float64(nil), gt.Data().([]float64)...)
	}
	var largest float64
	for _, a := range analytic {
		for _, v := range a {
			largest = max(largest, v, -v)
		}
	}
	if largest < 1e-3 {
		t.Fatalf("largest gradient is %g: the check would be vacuous", largest)
	}
	const h = 1e-6
	checked, masked := 0, 0
	for i, p := range tr.l.params {
		w := p.node.Value().Data().([]float64)
		var mask []float32
		if p.v.Mask != graph.MaskNone {
			s := p.v.Const.Shape
			mask = graph.Mask(p.v.Mask, s[2], s[3])
		}
		fd := make([]float64, len(w))
		for j := range w {
			old := w[j]
			w[j] = old + h
			up := cost()
			w[j] = old - h
			down := cost()
			w[j] = old
			fd[j] = (up - down) / (2 * h)
			if mask != nil && mask[j%len(mask)] == 0 {
				masked++
				if analytic[i][j] != 0 {
					t.Errorf("%s[%d] is masked but its gradient is %g", p.v.Name, j, analytic[i][j])
				}
			}
			checked++
		}
		// Central differences with h = 1e-6 in float64: truncation
		// O(h²·f''') ≈ 1e-12, rounding ≈ 1e-16·|f|/h ≈ 1e-10; 1e-7 leaves
		// room for neither to matter unless a ReLU kink lies within ±h.
		testenv.AllClose(t, analytic[i], fd, 1e-7, 1e-6, "d loss/d %s", p.v.Name)
	}
	if masked != wantMasked {
		t.Errorf("checked %d masked taps, want %d", masked, wantMasked)
	}
	t.Logf("%d parameters checked, %d masked; largest |gradient| %.3g", checked, masked, largest)
}

// TestGatedPixelCNNGradientCheck is TestGradientCheck on a conditional
// Gated PixelCNN (masks VA/VB/HA/HB, the gate on channel halves, class
// tables): the Embed, Slice-free halves gate and every conv against finite
// differences, the labels of the batch picking the table rows that get a
// gradient.
func TestGatedPixelCNNGradientCheck(t *testing.T) {
	t.Parallel()
	c := testenv.GatedConfig(3)
	c.Height, c.Width, c.Filters, c.Layers, c.Head, c.Levels = 5, 5, 2, 2, 3, 3
	c.FirstKernel = 3
	g, err := graph.GatedPixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	// masked taps: VA 3x3 keeps 3 of 9, HA 1x3 1 of 3, VB 6 of 9, HB 2 of 3
	masked := 4*1*6 + 4*1*2 + 4*2*3 + 4*2*1
	gradientCheck(t, ConvKernels, g, masked, 2, 0)
}
