package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// ConvTranspose is the adjoint of Conv: input position i, tap k write output
// position o = i·stride + k·dilation − pad_begin. Per batch item and group:
//
//	x[n, g·Cg:(g+1)·Cg] is (Cg, P)        P = input spatial size
//	W[g·Cg:(g+1)·Cg]     is (Cg, Mg·K)     K = taps
//	col (Mg·K, P) = W_gᵀ · x_g            (SGEMM)
//	y[n, g·Mg:(g+1)·Mg] = bias + col2im(col)
//
// where col2im is im2col's adjoint over the Conv geometry whose "input" is
// the ConvTranspose output and whose "output" is the ConvTranspose input.

// convTAttrs are a ConvTranspose node's attributes.
type convTAttrs struct {
	convAttrs
	outputPadding []int64
	outputShape   []int64
	legacySplit   bool // opset < 11: output_shape's odd padding goes to the end unless SAME_UPPER
}

func compileConvTranspose(c *nodeCtx) (kernel, error) {
	outputPadding, outputShape := c.ints("output_padding"), c.ints("output_shape")
	w, err := windowAttrs(c, true, true, intsRange{"output_padding", outputPadding, 0}, intsRange{"output_shape", outputShape, 0})
	if err != nil {
		return nil, err
	}
	a := convTAttrs{convAttrs: w, outputPadding: outputPadding, outputShape: outputShape, legacySplit: c.opset < 11}
	c.infer = func(ins []static) ([]static, error) {
		x, w := ins[0], ins[1]
		out := static{dtype: x.dtype}
		if !x.rankKnown() || !w.rankKnown() {
			return []static{out}, nil
		}
		if len(x.shape) < 3 || len(x.shape) > 5 || len(w.shape) != len(x.shape) {
			return nil, fmt.Errorf("input X %v and weight W %v: want (N,C,spatial...) with 1 to 3 spatial dims and a weight of the same rank", x.shape, w.shape)
		}
		out.shape = []int{x.shape[0], -1}
		if w.shape[1] >= 0 {
			out.shape[1] = w.shape[1] * a.group
		}
		for i := range x.shape[2:] {
			in, k := x.shape[2+i], w.shape[2+i]
			if in < 0 || k < 0 {
				out.shape = append(out.shape, -1)
				continue
			}
			if err := a.checkLensT(len(x.shape) - 2); err != nil {
				return nil, err
			}
			o, _, err := a.outDim(i, len(x.shape)-2, in, k)
			if err != nil {
				return nil, err
			}
			out.shape = append(out.shape, o)
		}
		return []static{out}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x, w, b, err := convInputs(ins)
		if err != nil {
			return nil, err
		}
		g, shape, err := a.geometry(x, w, b)
		if err != nil {
			return nil, err
		}
		out := rc.newTensor(x.DType, shape)
		switch x.DType {
		case graph.Float32:
			var bias []float32
			if b != nil {
				bias = b.F32
			}
			convTranspose(rc.threads(), g, x.F32, w.F32, bias, out.F32)
		case graph.Float64:
			var bias []float64
			if b != nil {
				bias = b.F64
			}
			convTranspose(rc.threads(), g, x.F64, w.F64, bias, out.F64)
		}
		return out, nil
	}, nil
}

// outDim returns the output size and begin pad of spatial dim i (of s) for
// an input of size in and a kernel of size k (ConvTranspose-1 and -11's
// equations; a negative begin pad means output positions before the first
// computed one, which hold the bias only).
func (a *convTAttrs) outDim(i, s, in, k int) (out, pb int, err error) {
	if a.kernelShape != nil && int(a.kernelShape[i]) != k {
		return 0, 0, fmt.Errorf("kernel_shape %v does not match the weight", a.kernelShape)
	}
	st, d := a.stride(i), a.dilation(i)
	op := 0
	if a.outputPadding != nil {
		op = int(a.outputPadding[i])
	}
	full := st*(in-1) + op + (k-1)*d + 1 // the output before cropping pads
	switch {
	case a.outputShape != nil || a.autoPad == "SAME_UPPER" || a.autoPad == "SAME_LOWER":
		out = in * st
		if a.outputShape != nil { // (spatial...) or, as ONNX Runtime reads it, (N, C, spatial...)
			out = int(a.outputShape[len(a.outputShape)-s+i])
		}
		total := full - out
		// Which side gets the odd unit changed at opset 11; the spec's
		// equations divide as Python does (floor), which matters when
		// output_shape asks for more than the full output.
		upper := a.autoPad == "SAME_UPPER"
		if a.legacySplit {
			upper = !upper
		}
		pb = total - floorDiv(total, 2)
		if upper {
			pb = floorDiv(total, 2)
		}
	default:
		pe := 0
		if a.autoPad == "NOTSET" && a.pads != nil {
			pb, pe = int(a.pads[i]), int(a.pads[i+s])
		}
		out = full - pb - pe
	}
	if out < 0 {
		return 0, 0, fmt.Errorf("output dim %d would be %d (input %d, kernel %d, stride %d, pads %v)", i, out, in, k, st, a.pads)
	}
	return out, pb, nil
}

// checkLensT checks the list attributes' lengths against s spatial dims.
func (a *convTAttrs) checkLensT(s int) error {
	if err := a.checkLens(s); err != nil {
		return err
	}
	if a.outputPadding != nil && len(a.outputPadding) != s {
		return fmt.Errorf("output_padding %v: want %d values", a.outputPadding, s)
	}
	if a.outputShape != nil && len(a.outputShape) != s && len(a.outputShape) != s+2 {
		return fmt.Errorf("output_shape %v: want %d values", a.outputShape, s)
	}
	return nil
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// geometry checks x, w, b and returns the Conv geometry of the adjoint
// (in: the ConvTranspose output, out: its input) and the output shape.
func (a *convTAttrs) geometry(x, w, b *graph.Tensor) (*convGeom, []int, error) {
	if err := checkXW(x, w); err != nil {
		return nil, nil, err
	}
	s := len(x.Shape) - 2
	if err := a.checkLensT(s); err != nil {
		return nil, nil, err
	}
	c, m := x.Shape[1], w.Shape[1]*a.group
	if w.Shape[0] != c || c%a.group != 0 {
		return nil, nil, fmt.Errorf("input X %v has %d channels, weight W %v with group %d wants %d (divisible by the group)", x.Shape, c, w.Shape, a.group, w.Shape[0])
	}
	if b != nil {
		if err := checkData(b, "bias B"); err != nil {
			return nil, nil, err
		}
		if b.DType != x.DType || len(b.Shape) != 1 || b.Shape[0] != m {
			return nil, nil, fmt.Errorf("bias B is %v%v, want %v[%d]", b.DType, b.Shape, x.DType, m)
		}
	}
	// The adjoint Conv: "input" channels m (the output's), "output" channels c.
	g := &convGeom{n: x.Shape[0], c: m, o: c, group: a.group, cg: m / a.group, og: c / a.group}
	shape := []int{g.n, m}
	for i := 0; i < 3; i++ {
		g.in[i], g.k[i], g.out[i], g.stride[i], g.dil[i] = 1, 1, 1, 1, 1
	}
	for i := 0; i < s; i++ {
		j := 3 - s + i
		in, k := x.Shape[2+i], w.Shape[2+i]
		out, pb, err := a.outDim(i, s, in, k)
		if err != nil {
			return nil, nil, err
		}
		g.in[j], g.k[j], g.out[j], g.padB[j] = out, k, in, pb
		g.stride[j], g.dil[j] = a.stride(i), a.dilation(i)
		shape = append(shape, out)
	}
	if err := checkElements(shape, "output"); err != nil {
		return nil, nil, err
	}
	return g, shape, nil
}

// convTranspose computes y (N, M, out...) from x (N, C, in...) and w
// (C, M/group, k...) on geometry g (see geometry), its GEMMs on threads
// goroutines.
func convTranspose[T float32 | float64](threads int, g *convGeom, x, w, bias, y []T) {
	inP, outP := g.outPlane(), g.inPlane() // ConvTranspose input and output planes
	taps := g.taps()
	rows := g.cg * taps // Mg·K
	col := make([]T, rows*inP)
	for n := 0; n < g.n; n++ {
		for gi := 0; gi < g.group; gi++ {
			xg := x[(n*g.o+gi*g.og)*inP:]
			wg := w[gi*g.og*rows:]
			yg := y[(n*g.c+gi*g.cg)*outP : (n*g.c+(gi+1)*g.cg)*outP]
			gemmT(threads, true, false, rows, inP, g.og, 1, wg, rows, xg, inP, 0, col, inP)
			for m := 0; m < g.cg; m++ {
				v := T(0)
				if bias != nil {
					v = bias[gi*g.cg+m]
				}
				plane := yg[m*outP : (m+1)*outP]
				for i := range plane {
					plane[i] = v
				}
			}
			col2im(g, col, yg)
		}
	}
}

// col2im adds col (Cg·taps rows of oD·oH·oW values) into y (Cg, D, H, W):
// the adjoint of im2col with every row.
func col2im[T float32 | float64](g *convGeom, col, y []T) {
	taps := g.taps()
	inP, outP := g.inPlane(), g.outPlane()
	for r := 0; r < g.cg*taps; r++ {
		c, t := r/taps, r%taps
		kd, kh, kw := t/(g.k[1]*g.k[2]), (t/g.k[2])%g.k[1], t%g.k[2]
		dst := y[c*inP : (c+1)*inP]
		src := col[r*outP : (r+1)*outP]
		s2, off2 := g.stride[2], kw*g.dil[2]-g.padB[2]
		lo, hi := colRange(off2, s2, g.in[2], g.out[2])
		p := 0
		for od := 0; od < g.out[0]; od++ {
			id := od*g.stride[0] - g.padB[0] + kd*g.dil[0]
			for oh := 0; oh < g.out[1]; oh++ {
				ih := oh*g.stride[1] - g.padB[1] + kh*g.dil[1]
				row := src[p : p+g.out[2]]
				p += g.out[2]
				if id < 0 || id >= g.in[0] || ih < 0 || ih >= g.in[1] || lo >= hi {
					continue
				}
				drow := dst[(id*g.in[1]+ih)*g.in[2] : (id*g.in[1]+ih+1)*g.in[2]]
				for ow := lo; ow < hi; ow++ {
					drow[ow*s2+off2] += row[ow]
				}
			}
		}
	}
}
