package train

import (
	"context"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestMaskedTapsStayZero: after 20 Adam steps every masked tap of the
// trainer's weights is still exactly 0, and so is its gradient.
func TestMaskedTapsStayZero(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.SmallConfig())
	tr, err := New(g, Options{Batch: 4})
	if err != nil {
		t.Fatal(err)
	}
	hw := 28 * 28
	for s := 0; s < 20; s++ {
		if _, err := tr.stepLevels(randomLevels(uint64(s), 4*hw, 4)); err != nil {
			t.Fatal(err)
		}
	}
	// One more forward/backward to look at the gradients before Adam.
	if err := tr.setInput(randomLevels(99, 4*hw, 4)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.forward(); err != nil {
		t.Fatal(err)
	}
	gs, err := tr.gradTensors()
	if err != nil {
		t.Fatal(err)
	}
	w := tr.Weights()
	nMasked := 0
	for i, p := range tr.l.params {
		if p.v.Mask == graph.MaskNone {
			continue
		}
		nMasked++
		s := p.v.Const.Shape
		m := graph.Mask(p.v.Mask, s[2], s[3])
		grad := gs[i].Data().([]float32)
		moved := false
		for j, v := range w[p.v.Name] {
			if m[j%len(m)] == 0 {
				if v != 0 || math.Signbit(float64(v)) {
					t.Fatalf("%s[%d]: masked tap is %g after 20 steps", p.v.Name, j, v)
				}
				if grad[j] != 0 {
					t.Fatalf("%s[%d]: masked tap has gradient %g", p.v.Name, j, grad[j])
				}
			} else if v != p.v.Const.F32[j] {
				moved = true
			}
		}
		if !moved {
			t.Errorf("%s: no live tap moved in 20 steps", p.v.Name)
		}
	}
	if nMasked != 1+testenv.SmallConfig().Blocks {
		t.Errorf("%d masked weights, want %d", nMasked, 1+testenv.SmallConfig().Blocks)
	}
	tr.zeroGrads()
	if err := tr.WriteBack(); err != nil {
		t.Fatal(err)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
}

// TestLossDecreases trains the small model on the testdata slice: within
// 48 steps (3 epochs of 16 batches of 16) the mean training loss of the
// last 8 steps is below 60% of the first step's, and the test-slice NLL
// falls too.
func TestLossDecreases(t *testing.T) {
	t.Parallel()
	train, test := mnistSlice(t)
	test = test.Slice(0, 64)
	g := mustPixelCNN(t, testenv.SmallConfig())
	before, err := Eval(context.Background(), g, test, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := New(g, Options{Batch: 16, Seed: 1, Epochs: 3})
	if err != nil {
		t.Fatal(err)
	}
	var bpd []float64
	var last Progress
	err = tr.Fit(context.Background(), train, test, func(p Progress) {
		bpd = append(bpd, p.BitsPerDim)
		last = p
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(bpd) != 48 || !last.Done || last.Test == nil || last.Step != 48 {
		t.Fatalf("%d steps reported, last %+v", len(bpd), last)
	}
	var tail float64
	for _, v := range bpd[40:] {
		tail += v / 8
	}
	t.Logf("bits/dim: first step %.3f, last 8 steps %.3f; test slice %.3f → %.3f; %.0f img/s",
		bpd[0], tail, before.BitsPerDim, last.Test.BitsPerDim, last.ImagesPerSec)
	if tail > 0.6*bpd[0] {
		t.Errorf("training loss %.3f bits/dim after 48 steps, first %.3f: not below 60%%", tail, bpd[0])
	}
	if last.Test.BitsPerDim >= before.BitsPerDim {
		t.Errorf("test NLL went from %.3f to %.3f bits/dim", before.BitsPerDim, last.Test.BitsPerDim)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
}

// TestSameSeedSameWeights: two trainers with the same seed end with
// bit-identical weights; another seed (another shuffle) does not.
func TestSameSeedSameWeights(t *testing.T) {
	t.Parallel()
	train, _ := mnistSlice(t)
	run := func(seed uint64) map[string][]float32 {
		tr, err := New(mustPixelCNN(t, testenv.SmallConfig()), Options{Batch: 8, Seed: seed, Steps: 6})
		if err != nil {
			t.Fatal(err)
		}
		if err := tr.Fit(context.Background(), train, nil, nil); err != nil {
			t.Fatal(err)
		}
		return tr.Weights()
	}
	a, b, c := run(42), run(42), run(43)
	same := func(x, y map[string][]float32) bool {
		for k, xs := range x {
			for i := range xs {
				if math.Float32bits(xs[i]) != math.Float32bits(y[k][i]) {
					return false
				}
			}
		}
		return true
	}
	if !same(a, b) {
		t.Error("same seed, different weights")
	}
	if same(a, c) {
		t.Error("different seeds, same weights")
	}
}

// uint64ToLabel varies the last image's label by step: 7, 8, 9, 7.
func uint64ToLabel(s int) int64 { return int64(7 + s%3) }

// TestThreadsSameWeights: the same steps at Options.Threads 1 and 2 give
// bit-identical losses, gradient norms, weights and Adam moments (the
// kernels' dW chunks, the parallel bias sums, residual gradients, clip and
// Adam update do the same float operations in the same order whatever the
// number of threads). Adam steps in parallel at 2 threads: TestMain calls
// DisableTensorPool.
func TestThreadsSameWeights(t *testing.T) {
	t.Parallel()
	if !parallelAdam.Load() {
		t.Fatal("TestMain did not call DisableTensorPool")
	}
	for _, model := range []string{"pixelcnn", "gated"} {
		t.Run(model, func(t *testing.T) { sameWeightsAcrossThreads(t, model) })
	}
}

func sameWeightsAcrossThreads(t *testing.T, model string) {
	run := func(threads int) ([]float64, map[string][]float32, *AdamState) {
		g := mustPixelCNN(t, testenv.SmallConfig())
		if model == "gated" {
			// conditional, 16 channels: the gate and embed ops split
			// images over the threads (forImages: 16·28·28 elements an image)
			c := testenv.GatedConfig(10)
			c.Height, c.Width, c.Filters, c.Layers, c.Head = 28, 28, 16, 3, 16
			var err error
			if g, err = graph.GatedPixelCNN(c); err != nil {
				t.Fatal(err)
			}
		}
		tr, err := New(g, Options{Batch: 8, Threads: threads})
		if err != nil {
			t.Fatal(err)
		}
		var trace []float64
		for s := 0; s < 4; s++ {
			if model == "gated" {
				if err := tr.SetLabels([]int64{0, 1, 2, 3, 4, 5, 6, uint64ToLabel(s)}); err != nil {
					t.Fatal(err)
				}
			}
			loss, err := tr.stepLevels(randomLevels(uint64(s), 8*28*28, tr.q))
			if err != nil {
				t.Fatal(err)
			}
			trace = append(trace, loss, tr.GradNorm())
		}
		st, err := tr.AdamState()
		if err != nil {
			t.Fatal(err)
		}
		return trace, tr.Weights(), st
	}
	l1, w1, s1 := run(1)
	l2, w2, s2 := run(2)
	for i := range l1 {
		if math.Float64bits(l1[i]) != math.Float64bits(l2[i]) {
			t.Fatalf("loss/norm %d: %v at 1 thread, %v at 2", i, l1[i], l2[i])
		}
	}
	for _, c := range []struct {
		what string
		a, b map[string][]float32
	}{{"weights", w1, w2}, {"adam m", s1.M, s2.M}, {"adam v", s1.V, s2.V}} {
		if len(c.a) != len(c.b) || len(c.a) == 0 {
			t.Fatalf("%s: %d and %d parameters", c.what, len(c.a), len(c.b))
		}
		for name, a := range c.a {
			for i := range a {
				if math.Float32bits(a[i]) != math.Float32bits(c.b[name][i]) {
					t.Fatalf("%s of %s[%d]: %v at 1 thread, %v at 2", c.what, name, i, a[i], c.b[name][i])
				}
			}
		}
	}
}

// TestResume: 10 steps, checkpoint (weights into a fresh graph + Adam
// state), a new trainer, 5 more steps: the losses of steps 11..15 and the
// final weights equal those of an uninterrupted 15-step run.
func TestResume(t *testing.T) {
	t.Parallel()
	opts := Options{Batch: 8, Seed: 3}
	full, err := New(mustPixelCNN(t, testenv.SmallConfig()), opts)
	if err != nil {
		t.Fatal(err)
	}
	want := fitSteps(t, full, 15)

	first, err := New(mustPixelCNN(t, testenv.SmallConfig()), opts)
	if err != nil {
		t.Fatal(err)
	}
	fitSteps(t, first, 10)
	st, err := first.AdamState()
	if err != nil {
		t.Fatal(err)
	}
	// The checkpoint: a graph of the same config carrying the written-back weights.
	g2 := mustPixelCNN(t, testenv.SmallConfig())
	for name, w := range first.Weights() {
		if err := g2.Init(name).SetConst(w); err != nil {
			t.Fatal(err)
		}
	}
	second, err := New(g2, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := second.SetAdamState(st); err != nil {
		t.Fatal(err)
	}
	if second.Steps() != 10 || second.LR() != first.LR() {
		t.Fatalf("resumed at step %d, lr %g; want 10, %g", second.Steps(), second.LR(), first.LR())
	}
	got := fitSteps(t, second, 5)
	t.Logf("uninterrupted steps 11..15: %.6f; resumed: %.6f", want[10:], got)
	// Same data order, weights and moments: the same float32 computation, so
	// the losses agree to rounding (they are in fact identical here).
	testenv.AllClose(t, got, want[10:], 1e-6, 1e-6, "losses after resume")
	wf, ws := full.Weights(), second.Weights()
	for name := range wf {
		a, b := make([]float64, len(wf[name])), make([]float64, len(wf[name]))
		for i := range a {
			a[i], b[i] = float64(ws[name][i]), float64(wf[name][i])
		}
		// The same five Adam steps from the same state: rounding at most.
		testenv.AllClose(t, a, b, 1e-6, 1e-5, "%s", name)
	}
	// Without the Adam state the next step differs (the state matters).
	third, err := New(g2, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := third.SetAdamState(&AdamState{Step: 10}); err != nil {
		t.Fatal(err)
	}
	fitSteps(t, third, 5)
	if w3 := third.Weights(); w3["in/B"][0] == ws["in/B"][0] {
		t.Error("resuming without the Adam moments gave the same weights: the state is not used")
	}
}

// TestNonFinite: a NaN input gives a NonFiniteError, leaves weights,
// step count and Adam state untouched, and the next good step works.
func TestNonFinite(t *testing.T) {
	t.Parallel()
	g := tinyGraph(t)
	tr, err := New(g, Options{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	levels := randomLevels(1, 2*25, 3)
	x := graph.NewFloat32([]int{2, 1, 5, 5}, nil)
	for i, l := range levels {
		x.F32[i] = float32(l) / 2
	}
	if _, err := tr.Step(x, levels); err != nil {
		t.Fatal(err)
	}
	before := tr.Weights()
	x.F32[7] = float32(math.NaN())
	_, err = tr.Step(x, levels)
	var nf *NonFiniteError
	if !errors.As(err, &nf) || nf.What != "loss" || nf.Step != 1 {
		t.Fatalf("got %v, want a NonFiniteError for the loss of step 2", err)
	}
	if tr.Steps() != 1 {
		t.Errorf("steps = %d after a failed step, want 1", tr.Steps())
	}
	after := tr.Weights()
	for k := range before {
		for i := range before[k] {
			if math.Float32bits(before[k][i]) != math.Float32bits(after[k][i]) {
				t.Fatalf("%s[%d] changed by a failed step", k, i)
			}
		}
	}
	x.F32[7] = 0.5
	loss, err := tr.Step(x, levels)
	if err != nil || math.IsNaN(loss) {
		t.Fatalf("step after a failed one: %g, %v", loss, err)
	}
	if err := tr.WriteBack(); err != nil {
		t.Fatal(err)
	}
	for _, v := range g.Inits {
		for _, f := range v.Const.F32 {
			if math.IsNaN(float64(f)) {
				t.Fatalf("%s holds NaN", v.Name)
			}
		}
	}
}

// TestGlobalClip: the gradients are scaled together so that their global
// norm is ClipNorm, keeping their directions.
func TestGlobalClip(t *testing.T) {
	t.Parallel()
	tr, err := New(tinyGraph(t), Options{Batch: 2, ClipNorm: 1e-3})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.setInput(randomLevels(2, 50, 3)); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.forward(); err != nil {
		t.Fatal(err)
	}
	gs, _ := tr.gradTensors()
	first := append([]float32(nil), gs[0].Data().([]float32)...)
	norm, err := tr.clipGrads()
	if err != nil {
		t.Fatal(err)
	}
	if norm <= 1e-3 {
		t.Fatalf("norm %g is already below the clip", norm)
	}
	var ss float64
	for _, g := range gs {
		for _, v := range g.Data().([]float32) {
			ss += float64(v) * float64(v)
		}
	}
	if got := math.Sqrt(ss); !(math.Abs(got-1e-3) <= 1e-6) {
		t.Errorf("clipped norm %g, want 1e-3", got)
	}
	scale := 1e-3 / (norm + 1e-6)
	for i, v := range gs[0].Data().([]float32) {
		if !(math.Abs(float64(v)-float64(first[i])*scale) <= 1e-9) {
			t.Fatalf("gradient %d: %g, want %g·%g", i, v, first[i], scale)
		}
	}
}

func TestUnsupported(t *testing.T) {
	t.Parallel()
	g := tinyGraph(t)
	g.Nodes[0].Attrs = append(g.Nodes[0].Attrs, graph.Attr{Name: "foo", Type: graph.AttrInt, I: 1})
	_, err := New(g, Options{})
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Node != "a" {
		t.Fatalf("got %v, want an UnsupportedError naming node a", err)
	}
	g = tinyGraph(t)
	g.Nodes[1].Op = "Softsign" // outside the layer classes
	if _, err := New(g, Options{}); !errors.As(err, &ue) || ue.Op != "Softsign" {
		t.Fatalf("got %v, want an UnsupportedError for Softsign", err)
	}
}

func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.LR != 1e-3 || o.Decay != 0.999995 || o.ClipNorm != 1 || o.Batch != 16 {
		t.Errorf("defaults %+v", o)
	}
	tr, err := New(tinyGraph(t), Options{Batch: 1, LR: 0.01, Decay: 0.5})
	if err != nil {
		t.Fatal(err)
	}
	tr.steps = 3
	if tr.LR() != 0.01*0.125 {
		t.Errorf("LR after 3 steps %g, want %g", tr.LR(), 0.01*0.125)
	}
}

// TestAdamSerialWithPool: without DisableTensorPool (parallelAdam false, as
// in a program that never calls it) Adam steps the parameters one after the
// other, with the same results. Not parallel: it flips the package switch.
func TestAdamSerialWithPool(t *testing.T) {
	run := func(parallel bool) map[string][]float32 {
		parallelAdam.Store(parallel)
		defer parallelAdam.Store(true)
		tr, err := New(tinyGraph(t), Options{Batch: 2, Threads: 2})
		if err != nil {
			t.Fatal(err)
		}
		for s := 0; s < 3; s++ {
			if _, err := tr.stepLevels(randomLevels(uint64(s), 2*25, tr.q)); err != nil {
				t.Fatal(err)
			}
		}
		return tr.Weights()
	}
	serial, par := run(false), run(true)
	for name, w := range serial {
		for i := range w {
			if math.Float32bits(w[i]) != math.Float32bits(par[name][i]) {
				t.Fatalf("%s[%d]: %v serial, %v parallel", name, i, w[i], par[name][i])
			}
		}
	}
}

// TestCosineSchedule: under ScheduleCosine the rate of step k of a
// Steps-long Fit is LR·½(1+cos πk/Steps), from LR down towards 0; under
// an epoch budget the same fraction counts the epochs' steps; ScheduleExp
// keeps LR·Decay^k.
func TestCosineSchedule(t *testing.T) {
	t.Parallel()
	trainSet, _ := mnistSlice(t)
	lrs := func(o Options) []float64 {
		tr, err := New(mustPixelCNN(t, testenv.SmallConfig()), o)
		if err != nil {
			t.Fatal(err)
		}
		var got []float64
		if err := tr.Fit(context.Background(), trainSet.Slice(0, 32), nil, func(p Progress) { got = append(got, p.LR) }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		name string
		o    Options
		n    int
	}{
		{"steps", Options{Batch: 8, LR: 0.01, Steps: 4, Schedule: ScheduleCosine}, 4},
		{"epochs", Options{Batch: 8, LR: 0.01, Epochs: 2, Schedule: ScheduleCosine}, 8},
	} {
		got := lrs(c.o)
		if len(got) != c.n {
			t.Fatalf("%s: %d steps, want %d", c.name, len(got), c.n)
		}
		for k, lr := range got {
			want := 0.01 * 0.5 * (1 + math.Cos(math.Pi*float64(k)/float64(c.n)))
			if math.Abs(lr-want) > 1e-15 {
				t.Errorf("%s: step %d lr %g, want %g", c.name, k, lr, want)
			}
		}
	}
	got := lrs(Options{Batch: 8, LR: 0.01, Decay: 0.5, Steps: 3})
	if got[0] != 0.01 || got[1] != 0.005 || got[2] != 0.0025 {
		t.Errorf("exp schedule: %v", got)
	}
	if _, err := New(tinyGraph(t), Options{Schedule: "linear"}); err == nil || !strings.Contains(err.Error(), `Schedule must be "exp" or "cosine", got "linear"`) {
		t.Errorf("bad schedule: %v", err)
	}
}

// TestTimeBudget: Options.Time ends Fit after the step that reaches it,
// Done and TimeUp set and the weights written back, with no epoch limit
// of its own (Epochs 0 means 1 only without Steps and Time).
func TestTimeBudget(t *testing.T) {
	t.Parallel()
	trainSet, _ := mnistSlice(t)
	g := mustPixelCNN(t, testenv.SmallConfig())
	tr, err := New(g, Options{Batch: 8, Time: time.Nanosecond, Schedule: ScheduleCosine})
	if err != nil {
		t.Fatal(err)
	}
	var ps []Progress
	if err := tr.Fit(context.Background(), trainSet, nil, func(p Progress) { ps = append(ps, p) }); err != nil {
		t.Fatal(err)
	}
	if len(ps) != 1 || !ps[0].Done || !ps[0].TimeUp || tr.Steps() != 1 {
		t.Fatalf("%d steps, last %+v", len(ps), ps[len(ps)-1])
	}
	w := tr.Weights()
	if len(w) == 0 {
		t.Fatal("no weights")
	}
	for _, v := range g.Inits {
		if w[v.Name] != nil && !slices.Equal(v.Const.F32, w[v.Name]) {
			t.Fatalf("%s not written back", v.Name)
		}
	}
	// A small epoch under a long budget: Fit goes on past the epoch end.
	tr, err = New(mustPixelCNN(t, testenv.SmallConfig()), Options{Batch: 8, Time: time.Hour, Steps: 6})
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Fit(context.Background(), trainSet.Slice(0, 16), nil, nil); err != nil || tr.Steps() != 6 {
		t.Fatalf("steps %d, %v; want 6 over three epochs", tr.Steps(), err)
	}
	if _, err := New(tinyGraph(t), Options{Time: -time.Second}); err == nil {
		t.Error("negative Time accepted")
	}
}
