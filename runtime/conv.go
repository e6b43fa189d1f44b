package runtime

import (
	"fmt"
	"sync"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// Conv is computed as im2col + GEMM. 1-D and 2-D convolutions are lifted to
// 3-D by prepending spatial dims of size 1, so one im2col serves all three.
// Per batch item n and group g:
//
//	x[n] is (C,D,H,W); group g reads channels [g·Cg, (g+1)·Cg)
//	col  is (K', P): K' live rows of the Cg·kd·kh·kw taps, P = oD·oH·oW
//	y[n, g·Og:(g+1)·Og] (Og,P) = W_g (Og,K') · col (K',P) + bias
//
// A row (channel, tap) is live unless the constant weight is 0 for every
// output channel of the group: masked PixelCNN taps cost nothing.

// convAttrs are a Conv node's attributes, validated at compile time.
type convAttrs struct {
	autoPad     string
	pads        []int64 // begins then ends; nil when absent
	strides     []int64 // nil when absent
	dilations   []int64 // nil when absent
	kernelShape []int64 // nil when absent (inferred from W)
	group       int
}

// windowAttrs reads the sliding-window attributes Conv, ConvTranspose and
// the pools share (dilations and group only where the op has them) and
// checks their values: auto_pad one of the four, pads >= 0, strides,
// dilations and kernel_shape >= 1, group >= 1, every value at most maxDim
// (so no size computed from them overflows); extra lists more lists with
// their minimum.
func windowAttrs(c *nodeCtx, dilations, group bool, extra ...intsRange) (convAttrs, error) {
	a := convAttrs{
		autoPad:     c.str("auto_pad", "NOTSET"),
		pads:        c.ints("pads"),
		strides:     c.ints("strides"),
		kernelShape: c.ints("kernel_shape"),
		group:       1,
	}
	if dilations {
		a.dilations = c.ints("dilations")
	}
	if group {
		a.group = int(c.int("group", 1))
	}
	if c.err != nil {
		return a, c.err
	}
	switch a.autoPad {
	case "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER":
	default:
		return a, c.unsupported("auto_pad", fmt.Sprintf("value %q", a.autoPad))
	}
	if a.group < 1 {
		return a, c.errf("group must be >= 1, got %d", a.group)
	}
	lists := append([]intsRange{{"pads", a.pads, 0}, {"strides", a.strides, 1}, {"dilations", a.dilations, 1}, {"kernel_shape", a.kernelShape, 1}}, extra...)
	for _, l := range lists {
		for _, v := range l.v {
			if v < l.min || v > maxDim {
				return a, c.errf("%s %v: values must be in [%d, %d]", l.name, l.v, l.min, int64(maxDim))
			}
		}
	}
	return a, nil
}

// intsRange is a list attribute and its minimum value.
type intsRange struct {
	name string
	v    []int64
	min  int64
}

func compileConv(c *nodeCtx) (kernel, error) {
	a, err := windowAttrs(c, true, true)
	if err != nil {
		return nil, err
	}
	if a.autoPad != "NOTSET" {
		for _, p := range a.pads {
			if p != 0 {
				return nil, c.errf("pads %v and auto_pad %s are both set", a.pads, a.autoPad)
			}
		}
	}
	if x := c.n.Inputs[0]; x.Shape != nil && (len(x.Shape) < 3 || len(x.Shape) > 5) {
		return nil, c.unsupported("", fmt.Sprintf("Conv on input %s (1 to 3 spatial dims are supported)", x.TypeString()))
	}
	k := &convKernel{attrs: a}
	if w := c.constInput(1); w != nil {
		if err := checkData(w, "weight W"); err != nil {
			return nil, c.errf("%v", err)
		}
		if len(w.Shape) < 3 || len(w.Shape) > 5 {
			return nil, c.unsupported("", fmt.Sprintf("Conv with weight of shape %v (1 to 3 spatial dims are supported)", w.Shape))
		}
		if w.Shape[0]%a.group != 0 {
			return nil, c.errf("weight W %v: %d output channels are not divisible by group %d", w.Shape, w.Shape[0], a.group)
		}
		switch w.DType {
		case graph.Float32:
			var b *graph.Tensor // nil when absent
			bConst := true      // false for a bias fed at run time: the generic path
			if len(c.n.Inputs) > 2 && c.n.Inputs[2] != nil {
				b, bConst = c.n.Inputs[2].Const, c.n.Inputs[2].Const != nil
			}
			if bConst && len(w.Shape) == 4 {
				k.fast = newFastConv(a, w, b, layers.Taps(w, c.n.Inputs[1].Mask))
			}
			if k.fast == nil {
				k.packed32 = packWeights(w.F32, w.Shape, a.group, true)
			}
		case graph.Float64:
			k.packed64 = packWeights(w.F64, w.Shape, a.group, true)
		}
	}
	c.infer = func(ins []static) ([]static, error) {
		shape, err := a.staticShape(ins[0].shape, ins[1].shape)
		return []static{{dtype: ins[0].dtype, shape: shape}}, err
	}
	return k.run, nil
}

type convKernel struct {
	attrs    convAttrs
	fast     *fastConv        // 2-D float32, constant W (and B), group 1: the shared kernels
	packed32 *packed[float32] // for a constant float32 W
	packed64 *packed[float64]
	pool32   sync.Pool // *[]float32 im2col buffers
	pool64   sync.Pool
}

// convGeom is the geometry of one Conv call, lifted to 3 spatial dims.
type convGeom struct {
	n, c, o, group, cg, og  int
	in, k, out              [3]int
	stride, dil, padB, padE [3]int
}

func (g *convGeom) inPlane() int  { return g.in[0] * g.in[1] * g.in[2] }
func (g *convGeom) outPlane() int { return g.out[0] * g.out[1] * g.out[2] }
func (g *convGeom) taps() int     { return g.k[0] * g.k[1] * g.k[2] }

// pointwise reports a 1x1 conv with unit strides and no padding: im2col is
// the input itself.
func (g *convGeom) pointwise() bool {
	return g.taps() == 1 && g.in == g.out && g.padB == [3]int{}
}

// convInputs returns a Conv's or ConvTranspose's X, W and optional B.
func convInputs(ins []*graph.Tensor) (x, w, b *graph.Tensor, err error) {
	x, w = ins[0], ins[1]
	if len(ins) > 2 {
		b = ins[2]
	}
	if err := checkData(x, "input X"); err != nil {
		return nil, nil, nil, err
	}
	if err := checkData(w, "weight W"); err != nil {
		return nil, nil, nil, err
	}
	return x, w, b, nil
}

// checkXW checks the ranks and dtypes of a Conv's or ConvTranspose's input
// and weight.
func checkXW(x, w *graph.Tensor) error {
	r := len(x.Shape)
	if r < 3 || r > 5 {
		return fmt.Errorf("input X of shape %v: want (N,C,spatial...) with 1 to 3 spatial dims", x.Shape)
	}
	if len(w.Shape) != r {
		return fmt.Errorf("weight W of shape %v does not match input X of shape %v", w.Shape, x.Shape)
	}
	if x.DType != w.DType || !isFloat(x.DType) {
		return fmt.Errorf("X (%v) and W (%v) must both be float32 or float64", x.DType, w.DType)
	}
	return nil
}

// geometry checks x, w, b and computes output dims and begin pads.
func (a *convAttrs) geometry(x, w, b *graph.Tensor) (*convGeom, []int, error) {
	if err := checkXW(x, w); err != nil {
		return nil, nil, err
	}
	s := len(x.Shape) - 2
	g := &convGeom{n: x.Shape[0], c: x.Shape[1], o: w.Shape[0], group: a.group, cg: w.Shape[1]}
	if g.c != g.cg*g.group {
		return nil, nil, fmt.Errorf("input X %v has %d channels, weight W %v with group %d wants %d", x.Shape, g.c, w.Shape, g.group, g.cg*g.group)
	}
	if g.o%g.group != 0 {
		return nil, nil, fmt.Errorf("weight W %v: %d output channels are not divisible by group %d", w.Shape, g.o, g.group)
	}
	g.og = g.o / g.group
	if b != nil {
		if err := checkData(b, "bias B"); err != nil {
			return nil, nil, err
		}
		if b.DType != x.DType || len(b.Shape) != 1 || b.Shape[0] != g.o {
			return nil, nil, fmt.Errorf("bias B is %v%v, want %v[%d]", b.DType, b.Shape, x.DType, g.o)
		}
	}
	if err := a.checkLens(s); err != nil {
		return nil, nil, err
	}
	outShape := []int{g.n, g.o}
	for i := 0; i < 3; i++ {
		g.in[i], g.k[i], g.out[i], g.stride[i], g.dil[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < s; i++ {
		j := 3 - s + i // lifted dim
		in, k := x.Shape[2+i], w.Shape[2+i]
		out, pb, pe, err := a.outDim(i, in, k)
		if err != nil {
			return nil, nil, fmt.Errorf("%v (input X %v, weight W %v)", err, x.Shape, w.Shape)
		}
		g.in[j], g.k[j], g.out[j], g.padB[j], g.padE[j] = in, k, out, pb, pe
		g.stride[j], g.dil[j] = a.stride(i), a.dilation(i)
		outShape = append(outShape, out)
	}
	if err := checkElements(outShape, "output"); err != nil {
		return nil, nil, err
	}
	return g, outShape, nil
}

// checkLens checks the length of every list attribute against s spatial dims.
func (a *convAttrs) checkLens(s int) error {
	for _, l := range []struct {
		name string
		v    []int64
		n    int
	}{{"pads", a.pads, 2 * s}, {"strides", a.strides, s}, {"dilations", a.dilations, s}, {"kernel_shape", a.kernelShape, s}} {
		if l.v != nil && len(l.v) != l.n {
			return fmt.Errorf("%s %v: want %d values for %d spatial dims", l.name, l.v, l.n, s)
		}
	}
	return nil
}

func (a *convAttrs) stride(i int) int {
	if a.strides == nil {
		return 1
	}
	return int(a.strides[i])
}

func (a *convAttrs) dilation(i int) int {
	if a.dilations == nil {
		return 1
	}
	return int(a.dilations[i])
}

// outDim returns the output size and begin/end pads of spatial dim i for an
// input of size in and a kernel of size k.
func (a *convAttrs) outDim(i, in, k int) (out, pb, pe int, err error) {
	s := len(a.pads) / 2
	if a.kernelShape != nil && int(a.kernelShape[i]) != k {
		return 0, 0, 0, fmt.Errorf("kernel_shape %v does not match the weight", a.kernelShape)
	}
	st, d := a.stride(i), a.dilation(i)
	ek := (k-1)*d + 1
	switch a.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		out, pb, pe = samePad(in, st, ek, a.autoPad == "SAME_LOWER")
	default: // NOTSET, VALID
		if a.autoPad == "NOTSET" && a.pads != nil {
			pb, pe = int(a.pads[i]), int(a.pads[i+s])
		}
		if in+pb+pe < ek {
			return 0, 0, 0, fmt.Errorf("kernel %d (dilation %d) is larger than the padded input %d", k, d, in+pb+pe)
		}
		out = (in+pb+pe-ek)/st + 1
	}
	return out, pb, pe, nil
}

// samePad is auto_pad SAME_*: the output size ceil(in/stride) and the pads
// it needs, the odd one at the end (SAME_UPPER) or the start (lower).
func samePad(in, stride, ek int, lower bool) (out, pb, pe int) {
	out = (in + stride - 1) / stride
	total := max(0, (out-1)*stride+ek-in)
	pb = total / 2
	if lower {
		pb = total - total/2
	}
	return out, pb, total - pb
}

// staticShape is the output shape for input and weight shapes that may hold
// unknown dims (-1).
func (a *convAttrs) staticShape(xs, ws []int) ([]int, error) {
	if xs == nil || ws == nil {
		return nil, nil
	}
	if len(xs) < 3 || len(xs) > 5 || len(ws) != len(xs) {
		return nil, fmt.Errorf("input X %v and weight W %v: want (N,C,spatial...) with 1 to 3 spatial dims and a weight of the same rank", xs, ws)
	}
	if err := a.checkLens(len(xs) - 2); err != nil {
		return nil, err
	}
	out := []int{xs[0], ws[0]}
	for i := range xs[2:] {
		in, k := xs[2+i], ws[2+i]
		if in < 0 || k < 0 {
			out = append(out, -1)
			continue
		}
		o, _, _, err := a.outDim(i, in, k)
		if err != nil {
			return nil, fmt.Errorf("%v (input X %v, weight W %v)", err, xs, ws)
		}
		out = append(out, o)
	}
	return out, nil
}

func (k *convKernel) run(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
	x, w, b, err := convInputs(ins)
	if err != nil {
		return nil, err
	}
	g, shape, err := k.attrs.geometry(x, w, b)
	if err != nil {
		return nil, err
	}
	if k.fast != nil && x.DType == graph.Float32 && len(x.Shape) == 4 {
		return k.fast.run(rc, x)
	}
	out := rc.newTensor(x.DType, shape)
	switch x.DType {
	case graph.Float32:
		p := k.packed32
		if p == nil {
			p = packWeights(w.F32, w.Shape, g.group, false)
		}
		var bias []float32
		if b != nil {
			bias = b.F32
		}
		convItems(rc.threads(), g, x.F32, p, bias, out.F32, &k.pool32)
	case graph.Float64:
		p := k.packed64
		if p == nil {
			p = packWeights(w.F64, w.Shape, g.group, false)
		}
		var bias []float64
		if b != nil {
			bias = b.F64
		}
		convItems(rc.threads(), g, x.F64, p, bias, out.F64, &k.pool64)
	}
	return out, nil
}

// convItems runs the batch items on up to threads goroutines; a batch
// smaller than that leaves the spare threads to each item's GEMM.
func convItems[T float32 | float64](threads int, g *convGeom, x []T, p *packed[T], bias, y []T, pool *sync.Pool) {
	workers := min(g.n, threads)
	if workers <= 1 {
		for n := 0; n < g.n; n++ {
			convItem(threads, g, x, p, bias, y, n, pool)
		}
		return
	}
	per := max(1, threads/workers)
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				convItem(per, g, x, p, bias, y, n, pool)
			}
		}()
	}
	for n := 0; n < g.n; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
}

// convItem computes y[n] (O, P) for batch item n, its GEMMs on threads
// goroutines.
func convItem[T float32 | float64](threads int, g *convGeom, x []T, p *packed[T], bias, y []T, n int, pool *sync.Pool) {
	inP, outP := g.inPlane(), g.outPlane()
	xn := x[n*g.c*inP : (n+1)*g.c*inP]
	yn := y[n*g.o*outP : (n+1)*g.o*outP]
	var buf *[]T
	defer func() {
		if buf != nil {
			pool.Put(buf)
		}
	}()
	for gi := 0; gi < g.group; gi++ {
		xg := xn[gi*g.cg*inP : (gi+1)*g.cg*inP]
		yg := yn[gi*g.og*outP : (gi+1)*g.og*outP]
		rows := p.rows[gi]
		kk := p.k
		if rows != nil {
			kk = len(rows)
		}
		var col []T
		if rows == nil && g.pointwise() {
			col = xg // (Cg, P) already
		} else {
			if buf == nil {
				if v, ok := pool.Get().(*[]T); ok {
					buf = v
				} else {
					buf = new([]T)
				}
			}
			if cap(*buf) < kk*outP {
				*buf = make([]T, kk*outP)
			}
			col = (*buf)[:kk*outP]
			im2col(g, xg, rows, col)
		}
		beta := T(0)
		if bias != nil {
			beta = 1
			for o := 0; o < g.og; o++ {
				v := bias[gi*g.og+o]
				row := yg[o*outP : (o+1)*outP]
				for i := range row {
					row[i] = v
				}
			}
		}
		gemmT(threads, false, false, g.og, outP, kk, 1, p.mats[gi], kk, col, outP, beta, yg, outP)
	}
}
