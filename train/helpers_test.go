package train

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

func mustPixelCNN(t testing.TB, cfg graph.Config) *graph.Graph {
	t.Helper()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tinyGraph: input 1x5x5 → masked A 3x3 (4) → relu → masked B 3x3 (4) →
// relu → 1x1 (q=3), with a residual Add so every op is exercised.
func tinyGraph(t testing.TB) *graph.Graph {
	t.Helper()
	b := graph.NewBuilder("tiny", 7)
	x := b.Input(graph.InputName, 1, 5, 5)
	h := b.Conv(x, graph.ConvSpec{Name: "a", Out: 4, Kernel: 3, Pad: 1, Mask: graph.MaskA})
	y := b.Relu(h)
	y = b.Conv(y, graph.ConvSpec{Name: "b", Out: 4, Kernel: 3, Pad: 1, Mask: graph.MaskB})
	y = b.Relu(y)
	y = b.Add(h, y)
	y = b.Conv(y, graph.ConvSpec{Name: "out", Out: 3, Kernel: 1})
	b.Output(graph.OutputName, y)
	g, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// tinyGatedGraph is a gate tanh(f)·σ(s) of two mask-A 3x3 convs on 5x5
// images, then a 1x1 to 3 levels (testenv.GatedGraph without blocks).
func tinyGatedGraph(t testing.TB) *graph.Graph { return testenv.GatedGraph(t, 5, 5, 4, 0, 3) }

// randomLevels returns n levels in 0..q-1 from a fixed seed.
func randomLevels(seed uint64, n, q int) []uint8 {
	r := rand.New(rand.NewPCG(seed, 1))
	lv := make([]uint8, n)
	for i := range lv {
		lv[i] = uint8(r.IntN(q))
	}
	return lv
}

// mnistSlice loads the testdata slice (256 train, 256 test images).
func mnistSlice(t testing.TB) (train, test *dataset.Images) {
	t.Helper()
	tr, err := dataset.Load("../testdata/mnist", dataset.Train)
	if err != nil {
		t.Fatal(err)
	}
	te, err := dataset.Load("../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	return tr, te
}

// fitSteps trains tr for steps more steps on the testdata slice and returns
// the losses.
func fitSteps(t *testing.T, tr *Trainer, steps int) []float64 {
	t.Helper()
	train, _ := mnistSlice(t)
	var ls []float64
	o := tr.opts
	tr.opts.Steps = steps
	defer func() { tr.opts = o }()
	if err := tr.Fit(context.Background(), train, nil, func(p Progress) { ls = append(ls, p.Loss) }); err != nil {
		t.Fatal(err)
	}
	return ls
}
