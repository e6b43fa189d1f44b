package train

import (
	"context"
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Result is a negative log-likelihood over a set of images.
type Result struct {
	NatsPerImage float64 `json:"nats_per_image"`
	BitsPerDim   float64 `json:"bits_per_dim"` // nats per pixel / ln 2
	Images       int     `json:"images"`
}

// EvalOptions configures Eval; zero values are the defaults.
type EvalOptions struct {
	Batch int // images per forward pass; default 16
	Limit int // evaluate the first Limit images; 0 = all
	// Threads is the goroutines a pass keeps busy; 0 = GOMAXPROCS.
	Threads int
}

// evaluator is a forward-only lowering of a graph for one batch size.
type evaluator struct {
	l    *lowered
	loss *nllGraph
	vm   G.VM
	q    int
	// logits receives a copy of the output after each run when the
	// evaluator was made withLogits (the tape machine reuses the output's
	// buffer for later ops, so Value() of the output node is not it).
	logits G.Value
}

func newEvaluator(g *graph.Graph, batch, threads int, withLogits bool) (*evaluator, error) {
	q, err := levelsOf(g)
	if err != nil {
		return nil, err
	}
	l, err := lower(g, batch, tensor.Float32, ConvKernels, threads)
	if err != nil {
		return nil, err
	}
	loss, err := addLoss(l)
	if err != nil {
		return nil, err
	}
	if err := assignBuffers(l.eg, l.output, loss.cost); err != nil {
		return nil, fmt.Errorf("train: buffers: %w", err)
	}
	e := &evaluator{l: l, loss: loss, q: q}
	if withLogits {
		G.Read(l.output, &e.logits)
	}
	e.vm = G.NewTapeMachine(l.eg)
	return e, nil
}

// nats returns the summed NLL (nats) of a batch given as levels.
func (e *evaluator) nats(levels []uint8) (float64, error) {
	if err := setOneHot(e.loss.onehot.Value().(tensor.Tensor), levels, e.q); err != nil {
		return 0, err
	}
	d := e.l.input.Value().Data().([]float32)
	dataset.Scale(d, levels, e.q)
	e.vm.Reset()
	if err := e.vm.RunAll(); err != nil {
		return 0, fmt.Errorf("train: gorgonia forward: %w", err)
	}
	return scalar(e.loss.cost.Value()) * float64(len(levels)), nil
}

// Eval computes the NLL of g on images with gorgonia's forward pass: the
// images are quantized to g's q levels and fed as level/(q−1).
func Eval(ctx context.Context, g *graph.Graph, im *dataset.Images, opts EvalOptions) (Result, error) {
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	n := im.N
	if opts.Limit > 0 && opts.Limit < n {
		n = opts.Limit
	}
	if n == 0 {
		return Result{}, fmt.Errorf("train: no images to evaluate")
	}
	in, err := graph.ImageInput(g)
	if err != nil {
		return Result{}, fmt.Errorf("train: %w", err)
	}
	if in.Shape[2] != im.H || in.Shape[3] != im.W {
		return Result{}, fmt.Errorf("train: images are %dx%d but the graph's input is %s", im.H, im.W, in.TypeString())
	}
	var total float64
	evals := map[int]*evaluator{}
	hw := im.H * im.W
	var q int
	for i := 0; i < n; {
		if err := ctx.Err(); err != nil {
			return Result{}, err
		}
		b := min(opts.Batch, n-i)
		e, ok := evals[b]
		if !ok {
			var err error
			if e, err = newEvaluator(g, b, opts.Threads, false); err != nil {
				return Result{}, err
			}
			evals[b] = e
			q = e.q
		}
		levels := make([]uint8, b*hw)
		dataset.Quantize(levels, im.Pix[i*hw:(i+b)*hw], q)
		i0 := i
		labels, err := e.l.datasetLabels(im.Labels, func(j int) int { return i0 + j })
		if err == nil && labels != nil {
			err = e.l.setLabels(labels)
		}
		if err != nil {
			return Result{}, err
		}
		s, err := e.nats(levels)
		if err != nil {
			return Result{}, err
		}
		total += s
		i += b
	}
	perPixel := total / float64(n*hw)
	if math.IsNaN(perPixel) || math.IsInf(perPixel, 0) {
		return Result{}, &NonFiniteError{What: "eval loss", Value: perPixel}
	}
	return Result{NatsPerImage: total / float64(n), BitsPerDim: perPixel / math.Ln2, Images: n}, nil
}
