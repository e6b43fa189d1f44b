// Package nll computes the negative log-likelihood of images under a
// PixelCNN with the Go runtime: per-pixel softmax cross-entropy over the q
// levels of the logits (N,q,H,W), reported as nats per image and bits per
// dimension (nats per pixel / ln 2), the paper's units.
package nll

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// Result is a negative log-likelihood over a set of images.
type Result struct {
	NatsPerImage float64 `json:"nats_per_image"`
	BitsPerDim   float64 `json:"bits_per_dim"`
	Images       int     `json:"images"`
}

// SumKind is Sum for any graph.OutputKind (see graph.SoftmaxTail): for
// Probs it takes -log p, for LogProbs -lp, for Logits the log-softmax.
func SumKind(kind graph.OutputKind, y []float32, target []uint8, n, q, hw int) float64 {
	if kind == graph.Logits {
		return Sum(y, target, n, q, hw)
	}
	total := 0.0
	for i := 0; i < n; i++ {
		for p := 0; p < hw; p++ {
			v := float64(y[i*q*hw+int(target[i*hw+p])*hw+p])
			if kind == graph.Probs {
				v = math.Log(v)
			}
			total -= v
		}
	}
	return total
}

// Sum returns the total NLL in nats of n images whose quantized levels are
// target (n·H·W values) under logits (n,q,H,W), computed stably
// (log-sum-exp with the maximum subtracted) in float64.
func Sum(logits []float32, target []uint8, n, q, hw int) float64 {
	total := 0.0
	for i := 0; i < n; i++ {
		base := i * q * hw
		for p := 0; p < hw; p++ {
			m := math.Inf(-1)
			for c := 0; c < q; c++ {
				m = math.Max(m, float64(logits[base+c*hw+p]))
			}
			s := 0.0
			for c := 0; c < q; c++ {
				s += math.Exp(float64(logits[base+c*hw+p]) - m)
			}
			t := int(target[i*hw+p])
			total += m + math.Log(s) - float64(logits[base+t*hw+p])
		}
	}
	return total
}

// Options configures Evaluate; zero values are the defaults.
type Options struct {
	Batch    int                   // images per forward pass; default 16
	Limit    int                   // the first Limit images; 0 = all
	Progress func(done, total int) // called after each batch (may be nil)
	Threads  int                   // goroutines a forward pass keeps busy; 0 = GOMAXPROCS
	// A conditional graph's conditioning inputs (graph.CondInputs): Labels
	// names the one fed each image's dataset label (a class-conditional
	// model evaluated on its test labels), Fixed holds the others' values
	// for every image. Each conditioning input needs one of them.
	Labels string
	Fixed  map[string]int64
}

// Evaluate runs g on images (quantized to q levels, fed as level/(q-1)) and
// returns the mean NLL. The input is g's first input, the logits its first output.
func Evaluate(ctx context.Context, g *graph.Graph, images *dataset.Images, opts Options) (Result, error) {
	q, err := graph.Levels(g)
	if err != nil {
		return Result{}, err
	}
	if err := dataset.CheckLevels(q); err != nil {
		return Result{}, err
	}
	in, err := graph.ImageInput(g)
	if err != nil {
		return Result{}, err
	}
	out := g.Outputs[0]
	conds := graph.CondInputs(g)
	for _, c := range conds {
		_, fixed := opts.Fixed[c.Name]
		switch {
		case c.Name == opts.Labels && fixed:
			return Result{}, fmt.Errorf("conditioning input %s is given both the labels and a fixed value", c.Name)
		case c.Name == opts.Labels && images.Labels == nil:
			return Result{}, fmt.Errorf("conditioning input %s takes the images' labels, but they have none", c.Name)
		case c.Name != opts.Labels && !fixed:
			return Result{}, fmt.Errorf("the model is conditional: its input %s needs a value (the test labels, or a fixed one)", c.Name)
		}
	}
	for name := range opts.Fixed {
		if !slices.ContainsFunc(conds, func(v *graph.Value) bool { return v.Name == name }) {
			return Result{}, fmt.Errorf("conditioning input %q: the model has none of that name", name)
		}
	}
	if opts.Labels != "" && !slices.ContainsFunc(conds, func(v *graph.Value) bool { return v.Name == opts.Labels }) {
		return Result{}, fmt.Errorf("conditioning input %q (for the labels): the model has none of that name", opts.Labels)
	}
	if len(in.Shape) != 4 || in.Shape[1] != 1 || in.Shape[2] != images.H || in.Shape[3] != images.W {
		return Result{}, fmt.Errorf("model input %s is %s; images are %dx%d grey", in.Name, in.TypeString(), images.H, images.W)
	}
	_, kind, err := graph.SoftmaxTail(g)
	if err != nil {
		return Result{}, err
	}
	prog, err := runtime.CompileWith(g, runtime.Options{Threads: opts.Threads})
	if err != nil {
		return Result{}, err
	}
	n := images.N
	if opts.Limit > 0 && opts.Limit < n {
		n = opts.Limit
	}
	if n == 0 {
		return Result{}, fmt.Errorf("no images to evaluate")
	}
	b := opts.Batch
	if b <= 0 {
		b = 16
	}
	if in.Shape[0] > 0 {
		b = in.Shape[0] // a fixed-batch file
	}
	hw := images.H * images.W
	levels := make([]uint8, b*hw)
	x := make([]float32, b*hw)
	total := 0.0
	for i := 0; i < n; i += b {
		m := min(b, n-i)
		if in.Shape[0] > 0 && m != b {
			// A fixed-batch file cannot take a short last batch: pad with
			// the first images and count only the real ones.
			for j := m; j < b; j++ {
				copy(levels[j*hw:], levels[:hw])
			}
		}
		for j := 0; j < m; j++ {
			dataset.Quantize(levels[j*hw:(j+1)*hw], images.Image(i+j), q)
		}
		rows := b
		if in.Shape[0] <= 0 {
			rows = m
		}
		dataset.Scale(x[:rows*hw], levels[:rows*hw], q)
		feed := map[string]*graph.Tensor{in.Name: graph.NewFloat32([]int{rows, 1, images.H, images.W}, x[:rows*hw])}
		for _, c := range conds {
			v := make([]int64, rows)
			for j := range v {
				if c.Name == opts.Labels {
					v[j] = int64(images.Labels[i+min(j, m-1)]) // a padded fixed batch repeats the last
				} else {
					v[j] = opts.Fixed[c.Name]
				}
			}
			feed[c.Name] = &graph.Tensor{DType: c.DType, Shape: []int{rows}, I64: v}
		}
		outs, err := prog.Run(ctx, feed)
		if err != nil {
			return Result{}, err
		}
		y := outs[out.Name]
		if y == nil || y.DType != graph.Float32 || len(y.Shape) != 4 || y.Shape[1] != q || y.Shape[2]*y.Shape[3] != hw {
			return Result{}, fmt.Errorf("output %s is not float32 (N,%d,%d,%d)", out.Name, q, images.H, images.W)
		}
		total += SumKind(kind, y.F32, levels, m, q, hw)
		if opts.Progress != nil {
			opts.Progress(i+m, n)
		}
	}
	perImage := total / float64(n)
	return Result{NatsPerImage: perImage, BitsPerDim: perImage / float64(hw) / math.Ln2, Images: n}, nil
}
