package runtime

import (
	"sync"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// fastConv is a 2-D float32 Conv with constant weights and group 1, run by
// the shared kernels (internal/kernels): im2col over the live taps, then
// one SGEMM per image or band of rows. The live taps are the plan's
// (layers.Taps): a tap whose weight is 0 for every output and input channel
// (or that the weight's mask hides) is never gathered nor multiplied (exact
// except for Inf/NaN inputs at such taps, see doc.go). The packed weight
// (O, C·T) is made once; a ConvPlan is made once per input size (H, W) and
// cached.
type fastConv struct {
	attrs convAttrs
	w, b  *graph.Tensor // constant weight (O,C,kh,kw) and bias (O) or nil
	bias  []float32
	taps  []int

	packOnce sync.Once
	wp       []float32 // packed weight, set by the first plan

	directOnce sync.Once
	wd         []float32 // weight packed for kernels.ForwardNHWC, set by the first direct

	mu    sync.Mutex
	plans map[[2]int]*kernels.ConvPlan
}

// newFastConv returns nil unless the node fits the kernels: float32 OIHW
// weight, group 1, bias absent or a float32 constant. taps are the live
// taps (layers.Taps).
func newFastConv(a convAttrs, w, b *graph.Tensor, taps []int) *fastConv {
	if w == nil || w.DType != graph.Float32 || len(w.Shape) != 4 || a.group != 1 {
		return nil
	}
	if b != nil && (b.DType != graph.Float32 || len(b.Shape) != 1 || b.Shape[0] != w.Shape[0]) {
		return nil
	}
	f := &fastConv{attrs: a, w: w, b: b, plans: map[[2]int]*kernels.ConvPlan{}}
	if b != nil {
		f.bias = b.F32
	}
	f.taps = taps
	return f
}

// plan returns the plan for images of shape (C,H,W) and the output image
// shape (O,OH,OW). Geometry errors are the same as the generic path's.
func (f *fastConv) plan(c, h, w int) (*kernels.ConvPlan, [3]int, error) {
	x := &graph.Tensor{DType: graph.Float32, Shape: []int{1, c, h, w}}
	g, shape, err := f.attrs.geometry(x, f.w, f.b)
	if err != nil {
		return nil, [3]int{}, err
	}
	out := [3]int{shape[1], shape[2], shape[3]}
	key := [2]int{h, w}
	f.mu.Lock()
	defer f.mu.Unlock()
	if pl := f.plans[key]; pl != nil {
		return pl, out, nil
	}
	s := f.w.Shape
	pl, err := kernels.NewConvPlan(kernels.ConvParams{In: s[1], Out: s[0], KH: s[2], KW: s[3], H: h, W: w,
		Stride:   [2]int{g.stride[1], g.stride[2]},
		Dilation: [2]int{g.dil[1], g.dil[2]},
		Pads:     [4]int{g.padB[1], g.padB[2], g.padE[1], g.padE[2]},
		Taps:     f.taps})
	if err != nil {
		return nil, [3]int{}, err
	}
	if pl.OH != out[1] || pl.OW != out[2] {
		panic("runtime: kernels conv plan disagrees with Conv's output size") // a bug, not an input error
	}
	f.packOnce.Do(func() { f.wp = pl.Pack(nil, f.w.F32) })
	f.plans[key] = pl
	return pl, out, nil
}

// direct returns the weight packed for pl.ForwardNHWC (the same for every
// plan of f: it depends on the taps and channels only).
func (f *fastConv) direct(pl *kernels.ConvPlan) []float32 {
	f.directOnce.Do(func() { f.wd = pl.PackDirect(nil, f.w.F32) })
	return f.wd
}

// workspaces recycles the kernels' scratch memory of the generic path.
var workspaces = sync.Pool{New: func() any { return new(kernels.Workspace) }}

// run is the generic path's Conv on the kernels: y = conv(x) + b for x of
// shape (N,C,H,W) with threads goroutines.
func (f *fastConv) run(rc *runCtx, x *graph.Tensor) (*graph.Tensor, error) {
	pl, out, err := f.plan(x.Shape[1], x.Shape[2], x.Shape[3])
	if err != nil {
		return nil, err
	}
	n := x.Shape[0]
	y := rc.newTensor(graph.Float32, []int{n, out[0], out[1], out[2]})
	ws := workspaces.Get().(*kernels.Workspace)
	ws.Threads = rc.threads()
	pl.Forward(ws, y.F32, x.F32, f.wp, f.bias, n, kernels.Fuse{})
	workspaces.Put(ws)
	return y, nil
}
