package sample

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Forward runs one full forward pass: x is (n, 1, H, W) pixel values
// level/(q−1), logits is (n, q, H, W). The default runs the Go runtime on
// the graph; tests wrap ONNX Runtime.
type Forward func(ctx context.Context, x []float32, n int) (logits []float32, err error)

// Geometry is what sampling needs to know about a model: image size,
// levels q, and whether the output holds probabilities (a trailing channel
// softmax; the naive sampler then takes their log) rather than logits.
type Geometry struct {
	H, W, Q int
	Probs   bool
}

// Options configure Sample and Complete. The zero value of each field is
// its documented default.
type Options struct {
	N           int     // images to sample (Complete: taken from its images)
	Seed        uint64  // seeds the uniforms; see Uniforms
	Temperature float64 // softmax temperature, > 0; 0 means 1
	Method      Method  // default Auto
	// Forward runs the naive sampler's passes; nil means the Go runtime on
	// the graph (GraphForwardCond with Cond).
	Forward Forward
	// Threads is how many goroutines sampling keeps busy (the cached
	// sampler's workers, the Go runtime's passes); 0 means GOMAXPROCS.
	Threads int
	// Cond gives every conditioning input of the graph (an integer [N]
	// input: a class label) its value, held fixed while sampling. A
	// conditional graph sampled without one is an error.
	Cond []Cond
	// Progress, when set, is called after each pixel with the number of
	// pixels done (all images) and the total, from one goroutine at a time.
	Progress func(done, total int)
}

// Result is a batch of sampled images.
type Result struct {
	Geometry
	N int
	// Levels holds N images of H·W levels in 0..Q−1, image-major, raster order.
	Levels []int32
	// Method is the method that ran (Cached or Naive).
	Method Method
	// Fallback says why Auto did not use Cached ("" otherwise).
	Fallback string
	// NearBoundary lists the draws (image·H·W + pixel) whose uniform fell
	// within BoundaryEps of a CDF boundary: the only draws where two engines
	// whose logits differ by rounding may disagree.
	NearBoundary []int
}

// Cond is the value of one conditioning input (by name): Values holds one
// value for every image, or one per image.
type Cond struct {
	Name   string
	Values []int64
}

// CondInputs returns g's conditioning inputs (graph.CondInputs).
func CondInputs(g *graph.Graph) []*graph.Value { return graph.CondInputs(g) }

// ImageInput returns g's image input (graph.ImageInput).
func ImageInput(g *graph.Graph) (*graph.Value, error) { return graph.ImageInput(g) }

// condValues checks conds against g's conditioning inputs (each given once,
// no other name, one value or n) and returns each input's n values by name.
func condValues(g *graph.Graph, conds []Cond, n int) (map[string][]int64, error) {
	want := CondInputs(g)
	m := map[string][]int64{}
	for _, c := range conds {
		if !slices.ContainsFunc(want, func(v *graph.Value) bool { return v.Name == c.Name }) {
			names := make([]string, len(want))
			for i, v := range want {
				names[i] = v.Name
			}
			return nil, fmt.Errorf("conditioning input %q: the graph has none of that name (it has %v)", c.Name, names)
		}
		if _, dup := m[c.Name]; dup {
			return nil, fmt.Errorf("conditioning input %q is given twice", c.Name)
		}
		switch len(c.Values) {
		case 1:
			m[c.Name] = slices.Repeat(c.Values, n)
		case n:
			m[c.Name] = slices.Clone(c.Values)
		default:
			return nil, fmt.Errorf("conditioning input %q: %d values for %d images (give one, or one per image)", c.Name, len(c.Values), n)
		}
	}
	for _, v := range want {
		if _, ok := m[v.Name]; !ok {
			return nil, &CondMissingError{Input: v.Name}
		}
	}
	return m, nil
}

// CondMissingError reports a conditioning input given no value.
type CondMissingError struct{ Input string }

func (e *CondMissingError) Error() string {
	return fmt.Sprintf("the model is conditional: its input %s needs a value (a class label)", e.Input)
}

// GeometryOf reads the image size from g's input, q from graph.Levels and
// whether the output holds probabilities from graph.SoftmaxTail.
func GeometryOf(g *graph.Graph) (Geometry, error) {
	if len(g.Inputs) == 0 || len(g.Outputs) == 0 {
		return Geometry{}, errors.New("graph needs an input and an output")
	}
	in, _ := ImageInput(g)
	if in == nil || len(in.Shape) != 4 || in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return Geometry{}, errors.New("graph input must be (N,1,H,W) with known H and W")
	}
	if in.Shape[1] != 1 {
		return Geometry{}, fmt.Errorf("input %s has %d channels; sampling supports 1", in.Name, in.Shape[1])
	}
	_, kind, err := graph.SoftmaxTail(g)
	if err != nil {
		return Geometry{}, err
	}
	q, err := graph.Levels(g)
	if err != nil {
		return Geometry{}, err
	}
	return Geometry{H: in.Shape[2], W: in.Shape[3], Q: q, Probs: kind == graph.Probs}, nil
}

// Prove reports whether the cached sampler can run g: nil, or a
// *CausalityError or *UnsupportedError saying why not.
func Prove(g *graph.Graph) error {
	_, err := compile(g)
	return err
}

// Sample draws opts.N images from g.
func Sample(ctx context.Context, g *graph.Graph, opts Options) (*Result, error) {
	return run(ctx, g, opts, nil, 0)
}

// Complete keeps the top rows of each image (levels, N·H·W, image-major)
// and samples the rest; the number of images is len(images)/(H·W).
func Complete(ctx context.Context, g *graph.Graph, images []int32, rows int, opts Options) (*Result, error) {
	geo, err := GeometryOf(g)
	if err != nil {
		return nil, err
	}
	if len(images) == 0 || len(images)%(geo.H*geo.W) != 0 {
		return nil, fmt.Errorf("complete: %d levels is not a whole number of %dx%d images", len(images), geo.H, geo.W)
	}
	if rows < 0 || rows > geo.H {
		return nil, fmt.Errorf("complete: rows %d out of 0..%d", rows, geo.H)
	}
	opts.N = len(images) / (geo.H * geo.W)
	return run(ctx, g, opts, images, rows)
}

func run(ctx context.Context, g *graph.Graph, opts Options, known []int32, rows int) (*Result, error) {
	geo, err := GeometryOf(g)
	if err != nil {
		return nil, err
	}
	if err := checkOptions(geo, &opts, known); err != nil {
		return nil, err
	}
	cv, err := condValues(g, opts.Cond, opts.N)
	if err != nil {
		return nil, err
	}
	var fallback string
	if opts.Method != Naive {
		pl, err := compile(g)
		if err == nil && pl.outC != geo.Q {
			err = fmt.Errorf("output has %d channels, want q = %d", pl.outC, geo.Q)
		}
		if err == nil {
			labels := make([][]int64, len(pl.conds))
			for k, name := range pl.conds {
				labels[k] = cv[name]
			}
			if err := pl.checkLabels(labels); err != nil {
				return nil, err
			}
			return cached(ctx, pl, geo, opts, labels, known, rows)
		}
		if opts.Method == Cached {
			return nil, fmt.Errorf("cached sampling: %w", err)
		}
		fallback = err.Error()
	}
	fwd := opts.Forward
	if fwd == nil {
		fwd = graphForward(g, opts.Cond, opts.Threads)
	}
	res, err := naive(ctx, fwd, geo, opts, known, rows)
	if res != nil {
		res.Fallback = fallback
	}
	return res, err
}

// NaiveSample runs the reference sampler with an explicit forward pass (an
// ONNX Runtime session, say): opts.Forward and opts.Method are ignored.
func NaiveSample(ctx context.Context, fwd Forward, geo Geometry, opts Options) (*Result, error) {
	if err := checkOptions(geo, &opts, nil); err != nil {
		return nil, err
	}
	return naive(ctx, fwd, geo, opts, nil, 0)
}

// NaiveComplete is NaiveSample for completion; see Complete.
func NaiveComplete(ctx context.Context, fwd Forward, geo Geometry, images []int32, rows int, opts Options) (*Result, error) {
	if len(images) == 0 || len(images)%(geo.H*geo.W) != 0 || rows < 0 || rows > geo.H {
		return nil, fmt.Errorf("complete: %d levels, rows %d for %dx%d images", len(images), rows, geo.H, geo.W)
	}
	opts.N = len(images) / (geo.H * geo.W)
	if err := checkOptions(geo, &opts, images); err != nil {
		return nil, err
	}
	return naive(ctx, fwd, geo, opts, images, rows)
}

func checkOptions(geo Geometry, opts *Options, known []int32) error {
	if opts.N <= 0 {
		return fmt.Errorf("number of images must be > 0, got %d", opts.N)
	}
	if opts.Temperature == 0 {
		opts.Temperature = 1
	}
	if !(opts.Temperature > 0) {
		return fmt.Errorf("temperature must be > 0, got %g", opts.Temperature)
	}
	for i, l := range known {
		if l < 0 || int(l) >= geo.Q {
			return fmt.Errorf("image %d pixel %d: level %d out of 0..%d", i/(geo.H*geo.W), i%(geo.H*geo.W), l, geo.Q-1)
		}
	}
	return nil
}

// newResult allocates the result and the uniforms of every image.
func newResult(geo Geometry, opts Options, m Method) (*Result, [][]float64) {
	px := geo.H * geo.W
	res := &Result{Geometry: geo, N: opts.N, Levels: make([]int32, opts.N*px), Method: m}
	u := make([][]float64, opts.N)
	for i := range u {
		u[i] = Uniforms(opts.Seed, i, px)
	}
	return res, u
}
