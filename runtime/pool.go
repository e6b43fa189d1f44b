package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// poolAttrs are a MaxPool or AveragePool node's attributes.
type poolAttrs struct {
	convAttrs          // auto_pad, pads, strides, dilations, kernel_shape (required)
	ceil          bool // ceil_mode (opset 10)
	countPad      bool // count_include_pad (AveragePool 7)
	colMajor      bool // storage_order (MaxPool 8): Indices in column-major order
	isMax         bool
	indicesWanted bool
}

// compilePool compiles MaxPool (max) and AveragePool. Attributes by opset:
// ceil_mode from 10, dilations from 10 (MaxPool) and 19 (AveragePool),
// count_include_pad from 7 (AveragePool), storage_order and the optional
// Indices output from 8 (MaxPool). The output size follows the spec's
// equations: floor (or ceil) of (in + pads − dilated kernel)/stride + 1, a
// ceil window starting in the end padding dropped; SAME_* pad to
// ceil(in/stride). Padding never enters a max; an average divides by the
// input positions in the window, or with count_include_pad by the positions
// inside the padded input.
func compilePool(isMax bool) func(c *nodeCtx) (kernelN, error) {
	return func(c *nodeCtx) (kernelN, error) {
		w, err := windowAttrs(c, (isMax && c.opset >= 10) || (!isMax && c.opset >= 19), false)
		if err != nil {
			return nil, err
		}
		a := poolAttrs{convAttrs: w, isMax: isMax}
		if c.opset >= 10 {
			a.ceil = c.int("ceil_mode", 0) != 0
		}
		if !isMax && c.opset >= 7 {
			a.countPad = c.int("count_include_pad", 0) != 0
		}
		if isMax && c.opset >= 8 {
			a.colMajor = c.int("storage_order", 0) != 0
			a.indicesWanted = c.wantOut(1)
		}
		if len(c.n.Outputs) > 1 && !a.indicesWanted && c.wantOut(1) {
			return nil, c.errf("%d outputs; the Indices output is defined for MaxPool from opset 8", len(c.n.Outputs))
		}
		if c.err != nil {
			return nil, c.err
		}
		if a.kernelShape == nil {
			return nil, c.errf("attribute kernel_shape is required")
		}
		c.infer = func(ins []static) ([]static, error) {
			x := ins[0]
			outs := []static{{dtype: x.dtype}, {dtype: graph.Int64}}[:len(c.n.Outputs)]
			if !x.rankKnown() {
				return outs, nil
			}
			s := len(x.shape) - 2
			if s < 1 || s > 3 || len(a.kernelShape) != s {
				return nil, fmt.Errorf("input X %v: want (N,C,spatial...) with %d spatial dims (kernel_shape %v)", x.shape, len(a.kernelShape), a.kernelShape)
			}
			if err := a.checkLens(s); err != nil {
				return nil, err
			}
			shape := []int{x.shape[0], x.shape[1]}
			for i, in := range x.shape[2:] {
				o := -1
				if in >= 0 {
					var err error
					if o, _, _, err = a.poolDim(i, s, in); err != nil {
						return nil, err
					}
				}
				shape = append(shape, o)
			}
			for i := range outs {
				outs[i].shape = shape
			}
			return outs, nil
		}
		return func(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error) {
			x := ins[0]
			if err := checkData(x, "input X"); err != nil {
				return nil, err
			}
			g, shape, err := a.geometry(x)
			if err != nil {
				return nil, err
			}
			y := rc.newTensor(x.DType, shape)
			var idx []int64
			outs := make([]*graph.Tensor, len(c.n.Outputs))
			outs[0] = y
			if a.indicesWanted {
				ind := graph.NewInt64(shape, nil)
				idx, outs[1] = ind.I64, ind
			}
			switch {
			case x.DType == graph.Float32:
				pool(g, &a, x.F32, y.F32, idx)
			case x.DType == graph.Float64:
				pool(g, &a, x.F64, y.F64, idx)
			case isMax && isNumeric(x.DType) && x.DType != graph.Uint64:
				pool(g, &a, x.I64, y.I64, idx)
			default:
				return nil, fmt.Errorf("input X has dtype %v, which the op does not take", x.DType)
			}
			return outs, nil
		}, nil
	}
}

// poolDim returns the output size and begin/end pads of spatial dim i of s.
func (a *poolAttrs) poolDim(i, s, in int) (out, pb, pe int, err error) {
	k, st, d := int(a.kernelShape[i]), a.stride(i), a.dilation(i)
	ek := (k-1)*d + 1
	switch a.autoPad {
	case "SAME_UPPER", "SAME_LOWER":
		out, pb, pe = samePad(in, st, ek, a.autoPad == "SAME_LOWER")
		return out, pb, pe, nil
	case "NOTSET":
		if a.pads != nil {
			pb, pe = int(a.pads[i]), int(a.pads[i+s])
		}
	}
	span := in + pb + pe - ek
	if span < 0 {
		return 0, 0, 0, fmt.Errorf("kernel %v (dilations %v) is larger than the padded input (%d)", a.kernelShape, a.dilations, in+pb+pe)
	}
	out = span/st + 1
	if a.ceil && span%st != 0 {
		out++
		if (out-1)*st >= in+pb { // the last window would start in the end padding
			out--
		}
	}
	return out, pb, pe, nil
}

// geometry lifts the pool to 3 spatial dims (as Conv does) and returns the
// output shape.
func (a *poolAttrs) geometry(x *graph.Tensor) (*convGeom, []int, error) {
	r := len(x.Shape)
	s := r - 2
	if s < 1 || s > 3 || len(a.kernelShape) != s {
		return nil, nil, fmt.Errorf("input X %v: want (N,C,spatial...) with %d spatial dims (kernel_shape %v)", x.Shape, len(a.kernelShape), a.kernelShape)
	}
	if err := a.checkLens(s); err != nil {
		return nil, nil, err
	}
	g := &convGeom{n: x.Shape[0], c: x.Shape[1]}
	shape := []int{g.n, g.c}
	for i := 0; i < 3; i++ {
		g.in[i], g.k[i], g.out[i], g.stride[i], g.dil[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < s; i++ {
		j := 3 - s + i
		out, pb, pe, err := a.poolDim(i, s, x.Shape[2+i])
		if err != nil {
			return nil, nil, err
		}
		g.in[j], g.k[j], g.out[j], g.padB[j], g.padE[j] = x.Shape[2+i], int(a.kernelShape[i]), out, pb, pe
		g.stride[j], g.dil[j] = a.stride(i), a.dilation(i)
		shape = append(shape, out)
	}
	if err := checkElements(shape, "output"); err != nil {
		return nil, nil, err
	}
	return g, shape, nil
}

// pool computes every (n, c) plane: y is (N·C, out...), x (N·C, in...);
// idx, when not nil, gets MaxPool's flat input index of each maximum.
func pool[T float32 | float64 | int64](g *convGeom, a *poolAttrs, x, y []T, idx []int64) {
	inP, outP := g.inPlane(), g.outPlane()
	// Per lifted dim and output position: the window's input positions and
	// how many of its taps lie inside the padded input.
	var wins [3][][]int
	var padded [3][]int
	for d := 0; d < 3; d++ {
		wins[d], padded[d] = make([][]int, g.out[d]), make([]int, g.out[d])
		for o := range wins[d] {
			wins[d][o], padded[d][o] = window(g, d, o)
		}
	}
	for n := 0; n < g.n*g.c; n++ {
		xp := x[n*inP : (n+1)*inP]
		o := n * outP
		for od := 0; od < g.out[0]; od++ {
			for oh := 0; oh < g.out[1]; oh++ {
				for ow := 0; ow < g.out[2]; ow++ {
					if a.isMax {
						best, bi := lowest[T](), -1 // an all-padding window gives -inf, as ONNX Runtime
						for _, id := range wins[0][od] {
							for _, ih := range wins[1][oh] {
								base := (id*g.in[1] + ih) * g.in[2]
								for _, iw := range wins[2][ow] {
									if v := xp[base+iw]; bi < 0 || v > best {
										best, bi = v, base+iw
									}
								}
							}
						}
						y[o] = best
						if idx != nil {
							idx[o] = int64(n*inP + flatIndex(g, bi, a.colMajor))
						}
					} else {
						var sum float64
						for _, id := range wins[0][od] {
							for _, ih := range wins[1][oh] {
								base := (id*g.in[1] + ih) * g.in[2]
								for _, iw := range wins[2][ow] {
									sum += float64(xp[base+iw])
								}
							}
						}
						count := len(wins[0][od]) * len(wins[1][oh]) * len(wins[2][ow])
						if a.countPad {
							count = padded[0][od] * padded[1][oh] * padded[2][ow]
						}
						y[o] = T(sum / float64(count)) // float types only; 0/0 is NaN
					}
					o++
				}
			}
		}
	}
}

// window returns the input positions of output position o along lifted dim
// d, and how many of the window's taps lie inside the padded input.
func window(g *convGeom, d, o int) ([]int, int) {
	var pos []int
	inPadded := 0
	start := o*g.stride[d] - g.padB[d]
	for t := 0; t < g.k[d]; t++ {
		p := start + t*g.dil[d]
		if p >= -g.padB[d] && p < g.in[d]+g.padE[d] {
			inPadded++
		}
		if p >= 0 && p < g.in[d] {
			pos = append(pos, p)
		}
	}
	return pos, inPadded
}

// flatIndex converts a row-major spatial offset to MaxPool's Indices
// convention: row-major, or column-major over the spatial dims with
// storage_order 1.
func flatIndex(g *convGeom, off int, colMajor bool) int {
	if off < 0 {
		return 0
	}
	if !colMajor {
		return off
	}
	iw := off % g.in[2]
	ih := (off / g.in[2]) % g.in[1]
	id := off / (g.in[2] * g.in[1])
	return (iw*g.in[1]+ih)*g.in[0] + id
}

func lowest[T float32 | float64 | int64]() T {
	var z T
	switch any(z).(type) {
	case float32, float64:
		return T(math.Inf(-1))
	}
	return T(math.MinInt64)
}

// compileGlobalAveragePool: the mean over every dim after N and C; the
// output keeps the rank with those dims set to 1.
func compileGlobalAveragePool(c *nodeCtx) (kernel, error) {
	c.infer = func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		if x.rankKnown() && len(x.shape) >= 2 {
			out.shape = append([]int{}, x.shape...)
			for i := 2; i < len(out.shape); i++ {
				out.shape[i] = 1
			}
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input X"); err != nil {
			return nil, err
		}
		if len(x.Shape) < 2 || !isFloat(x.DType) {
			return nil, fmt.Errorf("input X is %v%v, want a float tensor (N,C,...)", x.DType, x.Shape)
		}
		shape := append([]int{}, x.Shape...)
		for i := 2; i < len(shape); i++ {
			shape[i] = 1
		}
		out := rc.newTensor(x.DType, shape)
		planes, size := x.Shape[0]*x.Shape[1], graph.NumElements(x.Shape[2:])
		for p := 0; p < planes; p++ {
			var sum float64
			for i := p * size; i < (p+1)*size; i++ {
				if x.DType == graph.Float32 {
					sum += float64(x.F32[i])
				} else {
					sum += x.F64[i]
				}
			}
			mean := sum / float64(size)
			if x.DType == graph.Float32 {
				out.F32[p] = float32(mean)
			} else {
				out.F64[p] = mean
			}
		}
		return out, nil
	}, nil
}
