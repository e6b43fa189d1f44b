package layers

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Slices and pads as the plan reads them: a Slice of channels is a Slice
// layer; a Slice that crops the rows or columns of a conv's output (the
// shift of a torch Gated PixelCNN: pad more, then crop) and a zero Pad
// before a conv change that conv's pads (and kernel), so no crop or padded
// copy is ever stored. Everything else is routed to the generic path with
// the reason.

const (
	cropReason = "crop merged into the conv's pads and kernel (shift)"
	padReason  = "zero padding merged into the pads of the convs reading it (pad)"
)

// axisRange is one sliced axis: [lo, hi) after ONNX's clamping, step 1.
type axisRange struct{ axis, lo, hi int }

// sliceRanges reads a Slice's constant bounds on a rank-4 activation whose
// channels are c and image size hw (0 when unknown), as ranges per axis.
// It refuses steps other than 1, unknown bounds and a batch that is not
// kept whole.
func (b *builder) sliceRanges(n *graph.Node, c int, hw [2]int) ([]axisRange, string) {
	var starts, ends, axes, steps []int64
	if len(n.Inputs) == 1 { // opset < 10: attributes
		starts, ends, axes = n.IntsAttr("starts"), n.IntsAttr("ends"), n.IntsAttr("axes")
	} else {
		for i, dst := range []*[]int64{&starts, &ends, &axes, &steps} {
			if i+1 >= len(n.Inputs) || n.Inputs[i+1] == nil {
				continue
			}
			t := b.p.Consts[n.Inputs[i+1]]
			if t == nil || !t.DType.IsInteger() {
				return nil, fmt.Sprintf("input %s is not a constant", n.Inputs[i+1].Name)
			}
			*dst = t.I64
		}
	}
	if len(starts) == 0 || len(ends) != len(starts) || (axes != nil && len(axes) != len(starts)) || (steps != nil && len(steps) != len(starts)) {
		return nil, "starts, ends, axes and steps differ in length"
	}
	dims := [4]int{-1, c, hw[0], hw[1]}
	var rs []axisRange
	for i := range starts {
		ax := int64(i)
		if axes != nil {
			ax = axes[i]
		}
		if ax < 0 {
			ax += 4
		}
		if ax < 0 || ax > 3 {
			return nil, fmt.Sprintf("axis %d of a rank-4 activation", ax)
		}
		if steps != nil && steps[i] != 1 {
			return nil, fmt.Sprintf("step %d (layers slice with step 1)", steps[i])
		}
		d := dims[ax]
		if ax == 0 {
			if starts[i] != 0 || ends[i] < math.MaxInt32 {
				return nil, "slices the batch"
			}
			continue
		}
		if d <= 0 {
			return nil, fmt.Sprintf("axis %d: the size is unknown (declare the input's height and width)", ax)
		}
		lo, hi := clampRange(starts[i], ends[i], d)
		if lo >= hi {
			return nil, fmt.Sprintf("axis %d: empty range", ax)
		}
		if lo == 0 && hi == d {
			continue
		}
		rs = append(rs, axisRange{int(ax), lo, hi})
	}
	return rs, ""
}

// clampRange applies Slice-13's rules for step 1 on an axis of size d.
func clampRange(s, e int64, d int) (int, int) {
	if s < 0 {
		s += int64(d)
	}
	if e < 0 {
		e += int64(d)
	}
	return int(min(max(s, 0), int64(d))), int(min(max(e, 0), int64(d)))
}

// slice classes a Slice node: a Slice layer for a channel range, nil and
// why otherwise (a crop is handled by crop, before).
func (b *builder) slice(n *graph.Node) (*Layer, string) {
	x, ok := b.activation(n.Inputs[0])
	if !ok {
		return nil, fmt.Sprintf("input %s is not a layer value", n.Inputs[0].Name)
	}
	rs, why := b.sliceRanges(n, b.p.Values[x].C, b.size[x])
	switch {
	case why != "":
		return nil, why
	case len(rs) == 0:
		return &Layer{Kind: Unary, Op: "Identity", In: []int{x}}, ""
	case len(rs) != 1 || rs[0].axis != 1:
		return nil, "crops rows or columns of a value that is not a conv output read by the Slice alone"
	}
	return &Layer{Kind: Slice, Op: "Slice", In: []int{x}, Slice: [2]int{rs[0].lo, rs[0].hi}}, ""
}

// crop merges a Slice of rows and columns into the conv computing its
// input: the conv's output is read by the Slice alone and is no graph
// output, stride 1 and dilation 1, no mask kind (its taps come from the
// zero pattern). The conv then computes exactly the kept rows and columns:
// its pads shift by the crop's start and its kernel grows by zero rows or
// columns where a pad would be negative (those taps are dead). ok is false
// when n is not such a crop.
func (b *builder) crop(n *graph.Node) (bool, string) {
	x, ok := b.activation(n.Inputs[0])
	if !ok || len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return false, ""
	}
	v := b.p.Values[x]
	if v.Producer < 0 || b.layers[v.Producer] == nil || b.layers[v.Producer].Kind != Conv {
		return false, ""
	}
	l := b.layers[v.Producer]
	rs, why := b.sliceRanges(n, v.C, b.size[x])
	if why != "" || len(rs) == 0 {
		return false, why
	}
	for _, r := range rs {
		if r.axis == 1 {
			return false, ""
		}
	}
	c := l.Conv
	in, known := b.size[l.In[0]]
	switch {
	case len(b.consumers[v.V]) != 1 || b.isOutput(v.V):
		return false, fmt.Sprintf("crops %s, which other nodes read too", v.V.Name)
	case c.Stride != [2]int{1, 1} || c.Dilation != [2]int{1, 1} || c.Mask != graph.MaskNone:
		return false, fmt.Sprintf("crops conv %s of stride %v, dilation %v, mask %v (crops merge into stride-1, dilation-1 convs without a mask kind)",
			l.Node.Name, c.Stride, c.Dilation, c.Mask)
	case !known:
		return false, "the image size is unknown"
	}
	out := b.size[x]
	kh, kw := c.KH, c.KW
	pads := c.Pads
	var grow [4]int // zero rows/columns added at the top, left, bottom, right
	for _, r := range rs {
		d := r.axis - 2 // 0 rows, 1 columns
		k := [2]int{kh, kw}[d]
		begin := pads[d] - r.lo
		end := (r.hi - r.lo) - in[d] - begin + k - 1
		if begin < 0 {
			grow[d], begin = -begin, 0
		}
		if end < 0 {
			grow[d+2], end = -end, 0
		}
		pads[d], pads[d+2] = begin, end
		out[d] = r.hi - r.lo
	}
	nkh, nkw := kh+grow[0]+grow[2], kw+grow[1]+grow[3]
	w := graph.NewFloat32([]int{c.O, c.C, nkh, nkw}, nil)
	for oc := 0; oc < c.O*c.C; oc++ {
		for ky := 0; ky < kh; ky++ {
			copy(w.F32[(oc*nkh+ky+grow[0])*nkw+grow[1]:], c.W.F32[(oc*kh+ky)*kw:(oc*kh+ky+1)*kw])
		}
	}
	c.W, c.KH, c.KW, c.Pads = w, nkh, nkw, pads
	c.Taps = Taps(w, graph.MaskNone)
	c.Crop = cropText(n, rs)
	b.p.CropSize = b.size[b.p.Input]
	// The conv now writes the Slice's output.
	id := b.newValue(n.Outputs[0], v.C, v.Producer)
	l.Out = id
	l.Fused = append(l.Fused, n)
	b.why[n] = cropReason
	b.size[id] = out
	v.Producer = -2
	delete(b.p.byValue, v.V)
	b.route[n].Path, b.route[n].Reason = PathFused, cropReason
	return true, ""
}

func cropText(n *graph.Node, rs []axisRange) string {
	s := "crop"
	for _, r := range rs {
		s += fmt.Sprintf(" %s [%d,%d)", [4]string{"", "", "rows", "columns"}[r.axis], r.lo, r.hi)
	}
	return s + " (" + n.Name + ")"
}

// isOutput reports whether v is a graph output.
func (b *builder) isOutput(v *graph.Value) bool {
	for _, o := range b.p.Graph.Outputs {
		if o == v {
			return true
		}
	}
	return false
}

// padRef is the output of a zero Pad of the rows and columns of an
// activation, read only by convs (as X), which add its pads to theirs.
type padRef struct {
	x    int
	pads [4]int // top, left, bottom, right
	node *graph.Node
}

// padNode classes a constant zero Pad of rows and columns read only by
// convs as a padRef; ok is false (with why when it looked like one)
// otherwise.
func (b *builder) padNode(n *graph.Node) (bool, string) {
	if len(n.Outputs) != 1 || n.Outputs[0] == nil {
		return false, ""
	}
	x, ok := b.activation(n.Inputs[0])
	if !ok {
		return false, ""
	}
	if n.StringAttr("mode", "constant") != "constant" {
		return false, "mode " + n.StringAttr("mode", "") + " (only zero padding merges into a conv)"
	}
	pads := n.IntsAttr("pads") // opset < 11
	if len(n.Inputs) > 1 && n.Inputs[1] != nil {
		t := b.p.Consts[n.Inputs[1]]
		if t == nil || !t.DType.IsInteger() {
			return false, "pads are not constant"
		}
		pads = t.I64
	}
	zero := n.FloatAttr("value", 0) == 0
	if len(n.Inputs) > 2 && n.Inputs[2] != nil {
		t := b.p.Consts[n.Inputs[2]]
		zero = t != nil && t.Len() == 1 && t.DType == graph.Float32 && t.F32[0] == 0
	}
	switch {
	case len(n.Inputs) > 3 && n.Inputs[3] != nil:
		return false, "input axes (pads list every axis here)"
	case !zero:
		return false, "the pad value is not 0"
	case len(pads) != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0:
		return false, fmt.Sprintf("pads %v: only rows and columns of a rank-4 activation", pads)
	}
	for _, p := range pads {
		if p < 0 {
			return false, fmt.Sprintf("pads %v: negative (a crop)", pads)
		}
	}
	for _, r := range b.consumers[n.Outputs[0]] {
		if r.Op != "Conv" || r.Inputs[0] != n.Outputs[0] {
			return false, fmt.Sprintf("node %s (%s) reads the padded value (only convs merge a pad)", r.Name, r.Op)
		}
	}
	if b.isOutput(n.Outputs[0]) {
		return false, "the padded value is a graph output"
	}
	b.pads[n.Outputs[0]] = &padRef{x: x, pads: [4]int{int(pads[2]), int(pads[3]), int(pads[6]), int(pads[7])}, node: n}
	r := b.route[n]
	r.Path, r.Layer, r.Reason = PathFused, -1, padReason
	return true, ""
}
