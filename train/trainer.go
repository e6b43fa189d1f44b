package train

import (
	"fmt"
	"math"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Trainer holds a graph lowered to gorgonia for one batch size, its
// gradients, tape machine and Adam solver.
type Trainer struct {
	g    *graph.Graph
	opts Options
	q    int // levels
	h, w int // image size
	l    *lowered
	loss *nllGraph
	vm   G.VM
	// solvers[i] is a gorgonia AdamSolver for model[i] alone: Adam's update
	// of one parameter reads nothing of the others, so the parameters are
	// stepped in parallel (adamStep), each by the same code as one solver
	// over all of them would run.
	solvers []*G.AdamSolver
	model   []G.ValueGrad // the params' nodes, for the solvers
	order   []int         // indices of model, largest first (adamStep's schedule)
	steps   int           // optimizer steps taken (including resumed ones)
	norm    float64       // global gradient norm of the last step, before clipping
	// progress is the fraction of Fit's budget done before its latest
	// step, in [0, 1]: ScheduleCosine's p (0 until Fit runs).
	progress float64
}

// New lowers g (a PixelCNN: one grey image input (N,1,H,W), one logits
// output (N,q,H,W), Conv/Relu/Add nodes) for opts.Batch images per step.
// The trainer starts from g's current weights; it does not change g until
// WriteBack.
func New(g *graph.Graph, opts Options) (*Trainer, error) {
	return newTrainer(g, opts, tensor.Float32)
}

func newTrainer(g *graph.Graph, opts Options, dt tensor.Dtype) (*Trainer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	l, err := lower(g, opts.Batch, dt, opts.Conv, opts.Threads)
	if err != nil {
		return nil, err
	}
	q, err := levelsOf(g)
	if err != nil {
		return nil, err
	}
	loss, err := addLoss(l)
	if err != nil {
		return nil, err
	}
	nodes := make(G.Nodes, len(l.params))
	for i, p := range l.params {
		nodes[i] = p.node
	}
	if len(nodes) == 0 {
		return nil, &UnsupportedError{Msg: "graph has no parameters to train"}
	}
	if _, err := G.Grad(loss.cost, nodes...); err != nil {
		return nil, fmt.Errorf("train: gradient: %w", err)
	}
	if err := assignBuffers(l.eg, l.output, loss.cost); err != nil {
		return nil, fmt.Errorf("train: buffers: %w", err)
	}
	in, _ := graph.ImageInput(g) // lower checked it
	t := &Trainer{
		g: g, opts: opts, q: q, h: in.Shape[2], w: in.Shape[3],
		l: l, loss: loss,
		vm:    G.NewTapeMachine(l.eg, G.BindDualValues(nodes...)),
		model: G.NodesToValueGrads(nodes),
	}
	for i := range nodes {
		t.solvers = append(t.solvers, G.NewAdamSolver(G.WithLearnRate(opts.LR), G.WithBeta1(opts.Beta1),
			G.WithBeta2(opts.Beta2), G.WithEps(opts.Eps)))
		t.order = append(t.order, i)
	}
	slices.SortStableFunc(t.order, func(a, b int) int {
		return nodes[b].Shape().TotalSize() - nodes[a].Shape().TotalSize()
	})
	return t, nil
}

// Options returns the options in use, defaults filled in.
func (t *Trainer) Options() Options { return t.opts }

// Levels returns q, the number of intensity levels the model predicts.
func (t *Trainer) Levels() int { return t.q }

// Steps returns the number of optimizer steps taken, resumed ones included.
func (t *Trainer) Steps() int { return t.steps }

// GradNorm returns the global gradient norm of the last applied step,
// before clipping.
func (t *Trainer) GradNorm() float64 { return t.norm }

// LR returns the learning rate of the next step: LR·Decay^Steps under
// ScheduleExp, LR·½(1+cos πp) under ScheduleCosine (p the fraction of
// Fit's budget done, which Fit sets before each step: 0 before the first
// Fit, the last step's after Fit returns).
func (t *Trainer) LR() float64 {
	if t.opts.Schedule == ScheduleCosine {
		return t.opts.LR * 0.5 * (1 + math.Cos(math.Pi*min(max(t.progress, 0), 1)))
	}
	return t.opts.LR * math.Pow(t.opts.Decay, float64(t.steps))
}

// Conds returns the names of the graph's conditioning inputs (a class
// label per image), whose values SetLabels gives each step; none for an
// unconditional model.
func (t *Trainer) Conds() []string { return t.l.conds() }

// SetLabels sets the conditioning inputs' values for the next steps: one
// slice per input of Conds, Batch values each, every value a row of the
// tables it indexes (an error names the Gather node otherwise).
func (t *Trainer) SetLabels(labels ...[]int64) error { return t.l.setLabels(labels) }

// Step trains on one batch: x (Batch,1,H,W) holds the model inputs
// level/(q−1) and target the Batch·H·W levels in raster order. It returns the
// batch's mean loss in nats per pixel (nats/image = loss·H·W; bits/dim =
// loss/ln 2), measured before the update.
func (t *Trainer) Step(x *graph.Tensor, target []uint8) (float64, error) {
	in := t.l.input.Value().(tensor.Tensor)
	if x == nil || x.DType != graph.Float32 || !in.Shape().Eq(tensor.Shape(x.Shape)) {
		return 0, fmt.Errorf("train: Step wants a float32 input of shape %v", in.Shape())
	}
	copyIn(in.(*tensor.Dense), x.F32)
	if err := setOneHot(t.loss.onehot.Value().(tensor.Tensor), target, t.q); err != nil {
		return 0, err
	}
	return t.step()
}

// stepLevels trains on one batch given only its levels (Batch·H·W).
func (t *Trainer) stepLevels(levels []uint8) (float64, error) {
	if err := t.setInput(levels); err != nil {
		return 0, err
	}
	return t.step()
}

// setInput writes level/(q−1) into the input and the one-hot targets.
func (t *Trainer) setInput(levels []uint8) error {
	if err := setOneHot(t.loss.onehot.Value().(tensor.Tensor), levels, t.q); err != nil {
		return err
	}
	den := float64(t.q - 1)
	switch d := t.l.input.Value().Data().(type) {
	case []float32:
		for i, l := range levels {
			d[i] = float32(l) / float32(den)
		}
	case []float64:
		for i, l := range levels {
			d[i] = float64(l) / den
		}
	}
	return nil
}

// forward runs the tape (forward and backward) and returns the loss.
func (t *Trainer) forward() (float64, error) {
	t.vm.Reset()
	if err := t.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("train: gorgonia: %w", err)
	}
	return scalar(t.loss.cost.Value()), nil
}

func (t *Trainer) step() (float64, error) {
	loss, err := t.forward()
	if err != nil {
		t.zeroGrads()
		return 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.zeroGrads()
		return loss, &NonFiniteError{Step: t.steps, What: "loss", Value: loss}
	}
	norm, err := t.clipGrads()
	if err != nil {
		t.zeroGrads()
		return loss, err
	}
	t.norm = norm
	if err := t.adamStep(); err != nil {
		return loss, fmt.Errorf("train: adam: %w", err)
	}
	t.steps++
	return loss, nil
}

// gradTensors returns the gradient tensors of the parameters, in order.
func (t *Trainer) gradTensors() ([]tensor.Tensor, error) {
	gs := make([]tensor.Tensor, len(t.model))
	for i, vg := range t.model {
		g, err := vg.Grad()
		gt, ok := g.(tensor.Tensor)
		if err != nil || !ok {
			return nil, fmt.Errorf("train: no gradient for %s (%v)", t.l.params[i].v.Name, err)
		}
		gs[i] = gt
	}
	return gs, nil
}

// clipGrads scales every gradient by ClipNorm/(norm+1e-6) when the global
// L2 norm over all of them exceeds ClipNorm (PyTorch's clip_grad_norm_), and
// returns the norm before clipping. The squares are summed in one float64
// chain in parameter order (serial: a fraction of a millisecond, and any
// other order would round differently); the scaling runs one parameter per
// task on GOMAXPROCS goroutines.
func (t *Trainer) clipGrads() (float64, error) {
	gs, err := t.gradTensors()
	if err != nil {
		return 0, err
	}
	var ss float64
	for _, g := range gs {
		switch d := g.Data().(type) {
		case []float32:
			for _, v := range d {
				ss += float64(v) * float64(v)
			}
		case []float64:
			for _, v := range d {
				ss += v * v
			}
		}
	}
	norm := math.Sqrt(ss)
	if math.IsNaN(norm) || math.IsInf(norm, 0) {
		return norm, &NonFiniteError{Step: t.steps, What: "gradient norm", Value: norm}
	}
	if c := t.opts.ClipNorm; c > 0 && norm > c {
		s := c / (norm + 1e-6)
		forEach(len(t.order), threadsOr(t.opts.Threads), func(j int) {
			switch d := gs[t.order[j]].Data().(type) {
			case []float32:
				for i := range d {
					d[i] *= float32(s)
				}
			case []float64:
				for i := range d {
					d[i] *= s
				}
			}
		})
	}
	return norm, nil
}

// adamStep applies Adam with the step's learning rate, one parameter per
// task, largest parameters first: on the step's threads once
// DisableTensorPool has made that safe, else on one. Each parameter is
// updated by its own gorgonia AdamSolver with the same code and operands
// as one solver stepping all of them in turn, so the weights are
// bit-identical whatever the number of threads. The solvers clear the
// gradients.
func (t *Trainer) adamStep() error {
	lr := G.WithLearnRate(t.LR())
	errs := make([]error, len(t.model))
	threads := 1
	if parallelAdam.Load() {
		threads = threadsOr(t.opts.Threads)
	}
	forEach(len(t.order), threads, func(j int) {
		i := t.order[j]
		lr(t.solvers[i])
		errs[i] = t.solvers[i].Step(t.model[i : i+1])
	})
	for i, err := range errs {
		if err != nil {
			return fmt.Errorf("%s: %w", t.l.params[i].v.Name, err)
		}
	}
	return nil
}

// zeroGrads clears the accumulated gradients of a step that is not applied
// (the tape machine adds into them; the solver clears them after a step).
func (t *Trainer) zeroGrads() {
	gs, err := t.gradTensors()
	if err != nil {
		return
	}
	for _, g := range gs {
		g.Zero()
	}
}

func scalar(v G.Value) float64 {
	switch x := v.Data().(type) {
	case float32:
		return float64(x)
	case float64:
		return x
	case []float32:
		return float64(x[0])
	case []float64:
		return x[0]
	}
	return math.NaN()
}

// WriteBack copies the trained weights into the graph's initializers with
// graph.Value.SetConst, which multiplies the masks back in.
func (t *Trainer) WriteBack() error {
	for _, p := range t.l.params {
		data := make([]float32, len(p.v.Const.F32))
		copyOut(data, p.node.Value().(tensor.Tensor))
		if err := p.v.SetConst(data); err != nil {
			return fmt.Errorf("train: write back: %w", err)
		}
	}
	return nil
}

// Weights returns a copy of the current weights by initializer name.
func (t *Trainer) Weights() map[string][]float32 {
	w := make(map[string][]float32, len(t.l.params))
	for _, p := range t.l.params {
		data := make([]float32, len(p.v.Const.F32))
		copyOut(data, p.node.Value().(tensor.Tensor))
		w[p.v.Name] = data
	}
	return w
}

// Graph returns the graph the trainer was made from.
func (t *Trainer) Graph() *graph.Graph { return t.g }
