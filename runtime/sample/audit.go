package sample

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// AuditOptions configure Audit. The zero value runs both checks with the
// Go runtime.
type AuditOptions struct {
	// SkipEmpirical skips the perturbation check.
	SkipEmpirical bool
	// Forward runs the perturbation batches; nil means the Go runtime.
	Forward Forward
	// Batch is how many perturbed images go in one forward pass; default 16.
	Batch int
	// Seed draws the base image; default 0.
	Seed uint64
	// Threads is how many goroutines the Go runtime's passes keep busy; 0
	// means GOMAXPROCS.
	Threads int
	// Progress, when set, is called after each batch with the pixels
	// perturbed so far and the total.
	Progress func(done, total int)
	// Cond gives each conditioning input (a class label) the one value it
	// holds during the perturbation check (required for a conditional
	// graph with the default Forward).
	Cond []Cond
}

// MaxLeaks is how many leaks a Report lists (all are counted).
const MaxLeaks = 10

// Leak is one empirical finding: perturbing the input pixel at (InRow,
// InCol) changed logit Channel at (OutRow, OutCol), a position at or before it.
type Leak struct {
	InRow, InCol   int
	OutRow, OutCol int
	Channel        int
	Before, After  float32
}

func (l Leak) String() string {
	return fmt.Sprintf("input pixel (%d,%d) changes logit %d at (%d,%d): %g -> %g",
		l.InRow, l.InCol, l.Channel, l.OutRow, l.OutCol, l.Before, l.After)
}

// Report is the outcome of Audit.
type Report struct {
	// Causal: no check found a leak (and at least one check decided).
	Causal bool

	// Structural is the leak the weights' zero patterns show: a
	// *CausalityError naming node, tap and offset; nil when none.
	Structural error
	// StructuralSkipped says why the structural check could not decide.
	StructuralSkipped string
	// Receptive is the composed footprint of the output on the input, when
	// it could be computed.
	Receptive *graph.ReceptiveField
	// Cacheable is nil when the cached sampler can run the graph, else why not.
	Cacheable error

	// Perturbed is how many input pixels the empirical check perturbed.
	Perturbed int
	// Leaks lists the first MaxLeaks empirical leaks; LeakCount counts them all.
	Leaks     []Leak
	LeakCount int
	// EmpiricalSkipped says why the empirical check did not run or finish.
	EmpiricalSkipped string
}

// Audit checks that g is autoregressive in raster order: logits at pixel p
// depend only on input pixels before p.
//
// Structurally, on the graph's layer plan (internal/layers: constants
// folded, so a mask applied by Mul(W, M) is causal; the live taps of every
// conv), the first Conv on the input must see only taps strictly before
// the output pixel, later ones at most the pixel itself, and the composed
// footprint (layers.Plan.Footprint) must lie strictly before (0,0).
//
// Empirically, each input pixel j of a random base image is changed by half
// the level range, in batches, and no logit at a position <= j may change.
// The base image is replicated in a batch of the same size and compared slot
// by slot, so the comparison is exact: a masked tap contributes exactly 0.
func Audit(ctx context.Context, g *graph.Graph, opts AuditOptions) (*Report, error) {
	geo, err := auditGeometry(g)
	if err != nil {
		return nil, err
	}
	r := &Report{}
	structural(g, r)
	if !opts.SkipEmpirical {
		if err := empirical(ctx, g, geo, opts, r); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			r.EmpiricalSkipped = err.Error()
		}
	} else {
		r.EmpiricalSkipped = "skipped"
	}
	decided := r.StructuralSkipped == "" || r.EmpiricalSkipped == ""
	r.Causal = decided && r.Structural == nil && r.LeakCount == 0
	return r, nil
}

func structural(g *graph.Graph, r *Report) {
	_, r.Cacheable = compile(g)
	var ce *CausalityError
	if errors.As(r.Cacheable, &ce) {
		r.Structural = ce
	}
	g, err := runtime.Fold(g)
	if err != nil {
		r.StructuralSkipped = err.Error()
		return
	}
	lp, err := layers.Build(g, layers.Options{})
	if err != nil {
		r.StructuralSkipped = err.Error()
		return
	}
	if lp.Input < 0 {
		r.StructuralSkipped = lp.Blocker
		return
	}
	in := lp.Values[lp.Input].V
	logits, _, err := graph.SoftmaxTail(g)
	if err != nil {
		r.StructuralSkipped = err.Error()
		return
	}
	out, ok := lp.ValueOf(logits)
	if !ok {
		if r.Structural == nil {
			r.StructuralSkipped = notLayers(lp, logits).Error()
		}
		return
	}
	rf, err := lp.Receptive(out, lp.Input)
	if err != nil {
		if r.Structural == nil {
			r.StructuralSkipped = err.Error()
		}
		return
	}
	r.Receptive = &rf
	if !rf.Causal && r.Structural == nil {
		r.Structural = &CausalityError{Node: g.Outputs[0].Name, Op: "output", Input: in.Name, Row: -1, Col: -1,
			Offset: rf.FirstNonCausal, Reason: "the composed footprint reaches the output pixel or a later one"}
	}
}

// auditGeometry is what the audit needs: the image size, its channels (a
// perturbed pixel changes all of them: PixelCNN++ models the channels of a
// pixel jointly) and q, whose levels the images are drawn from (any
// output's channel count for a file that does not predict levels).
type auditGeo struct{ H, W, C, Q int }

func auditGeometry(g *graph.Graph) (auditGeo, error) {
	in, err := graph.ImageInput(g)
	if err != nil {
		return auditGeo{}, err
	}
	if len(in.Shape) != 4 || in.Shape[1] <= 0 || in.Shape[2] <= 0 || in.Shape[3] <= 0 {
		return auditGeo{}, fmt.Errorf("input %s must be (N,C,H,W) with known C, H and W, got %s", in.Name, in.TypeString())
	}
	q, err := graph.Levels(g)
	if err != nil {
		return auditGeo{}, err
	}
	return auditGeo{H: in.Shape[2], W: in.Shape[3], C: in.Shape[1], Q: min(q, 256)}, nil
}

func empirical(ctx context.Context, g *graph.Graph, geo auditGeo, opts AuditOptions, r *Report) error {
	fwd := opts.Forward
	if fwd == nil {
		for _, c := range opts.Cond {
			if len(c.Values) != 1 {
				return fmt.Errorf("conditioning input %q: the audit holds one value, got %d", c.Name, len(c.Values))
			}
		}
		if _, err := condValues(g, opts.Cond, 1); err != nil {
			return err
		}
		fwd = graphForward(g, opts.Cond, opts.Threads)
	}
	b := opts.Batch
	if b <= 0 {
		b = 16
	}
	px, q, nc := geo.H*geo.W, geo.Q, geo.C
	rnd := rand.New(rand.NewPCG(opts.Seed, 0xa0d17))
	base := make([]float32, nc*px) // (C,H,W)
	lv := make([]int, nc*px)
	for p := range base {
		lv[p] = rnd.IntN(q)
		base[p] = float32(lv[p]) / float32(q-1)
	}
	sz := nc * px
	x := make([]float32, b*sz)
	for i := 0; i < b; i++ {
		copy(x[i*sz:], base)
	}
	ref, err := fwd(ctx, x, b)
	if err != nil {
		return err
	}
	ref = append([]float32(nil), ref...)
	oc := len(ref) / (b * px)
	if oc*b*px != len(ref) {
		return fmt.Errorf("forward pass returned %d values for %d images of %d pixels", len(ref), b, px)
	}
	for j0 := 0; j0 < px; j0 += b {
		for i := 0; i < b; i++ {
			copy(x[i*sz:(i+1)*sz], base)
			if j := j0 + i; j < px {
				for ch := range nc { // every channel of pixel j
					k := ch*px + j
					x[i*sz+k] = float32((lv[k]+q/2)%q) / float32(q-1)
				}
			}
		}
		out, err := fwd(ctx, x, b)
		if err != nil {
			return err
		}
		for i := 0; i < b && j0+i < px; i++ {
			j := j0 + i
			for c := 0; c < oc; c++ {
				o := out[(i*oc+c)*px : (i*oc+c)*px+j+1]
				w := ref[(i*oc+c)*px : (i*oc+c)*px+j+1]
				for p := range o {
					if o[p] == w[p] {
						continue
					}
					r.LeakCount++
					if len(r.Leaks) < MaxLeaks {
						r.Leaks = append(r.Leaks, Leak{InRow: j / geo.W, InCol: j % geo.W, OutRow: p / geo.W, OutCol: p % geo.W,
							Channel: c, Before: w[p], After: o[p]})
					}
				}
			}
		}
		r.Perturbed = min(j0+b, px)
		if opts.Progress != nil {
			opts.Progress(r.Perturbed, px)
		}
	}
	return nil
}

// String describes the report in a few lines, leaks first.
func (r *Report) String() string {
	var sb strings.Builder
	if r.Causal {
		sb.WriteString("causal\n")
	} else {
		sb.WriteString("NOT causal\n")
	}
	switch {
	case r.Structural != nil:
		fmt.Fprintf(&sb, "structural: %v\n", r.Structural)
		var ce *CausalityError
		if errors.As(r.Structural, &ce) {
			fmt.Fprintf(&sb, "  the output at (y,x) sees %s at (y%+d,x%+d)\n", ce.Input, ce.Offset.Dy, ce.Offset.Dx)
		}
	case r.StructuralSkipped != "":
		fmt.Fprintf(&sb, "structural: undecided: %s\n", r.StructuralSkipped)
	default:
		sb.WriteString("structural: every live tap is causal\n")
	}
	if r.Receptive != nil {
		fmt.Fprintf(&sb, "receptive field: %v\n", *r.Receptive)
	}
	switch {
	case r.EmpiricalSkipped != "":
		fmt.Fprintf(&sb, "empirical: not run: %s\n", r.EmpiricalSkipped)
	case r.LeakCount == 0:
		fmt.Fprintf(&sb, "empirical: perturbed %d input pixels, no logit at or before a perturbed pixel changed\n", r.Perturbed)
	default:
		fmt.Fprintf(&sb, "empirical: perturbed %d input pixels, %d logits at or before them changed; first:\n", r.Perturbed, r.LeakCount)
		for _, l := range r.Leaks {
			fmt.Fprintf(&sb, "  %v\n", l)
		}
	}
	if r.Cacheable == nil {
		sb.WriteString("cached sampling: supported\n")
	} else {
		fmt.Fprintf(&sb, "cached sampling: not supported: %v\n", r.Cacheable)
	}
	return sb.String()
}
