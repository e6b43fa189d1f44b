package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compileVariadic compiles Min, Max, Sum and Mean over one or more inputs:
// from opset 8 they broadcast as numpy does; before, all inputs have one
// shape. Min and Max take integer types from opset 12 (accepted at any
// opset), Sum and Mean float types. NaN propagates through Min and Max.
func compileVariadic(op binOp, mean bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		c.legacyConsumedInputs()
		for i, in := range c.n.Inputs {
			if in == nil {
				return nil, c.errf("input %d is missing", i)
			}
		}
		sameShapes := c.opset < 8
		c.infer = broadcastInputs
		return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
			for i, t := range ins {
				if err := checkData(t, fmt.Sprintf("input %d", i)); err != nil {
					return nil, err
				}
				if sameShapes && !sameShape(t.Shape, ins[0].Shape) {
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (no broadcasting before opset 8)", i, t.Shape, ins[0].Shape)
				}
				if (mean || op == opAdd) && !isFloat(t.DType) {
					return nil, fmt.Errorf("input %d has dtype %v, want a float type", i, t.DType)
				}
			}
			acc := ins[0]
			if len(ins) == 1 {
				acc = acc.Clone()
			}
			for _, t := range ins[1:] {
				var err error
				if acc, err = applyBinary(rc, op, acc, t); err != nil {
					return nil, err
				}
			}
			if mean {
				n := float64(len(ins))
				for i := range acc.F32 {
					acc.F32[i] = float32(float64(acc.F32[i]) / n)
				}
				for i := range acc.F64 {
					acc.F64[i] /= n
				}
			}
			return acc, nil
		}, nil
	}
}

// compileClip: min(max(x, lo), hi). lo and hi are attributes before opset
// 11 (absent: no bound at opset 1; ±3.402823e+38 from 6) and optional
// one-element inputs from 11; integer types from 12 (accepted at any opset).
func compileClip(c *nodeCtx) (kernel, error) {
	c.legacyConsumedInputs()
	lo, hi := math.Inf(-1), math.Inf(1)
	if c.opset < 11 {
		if c.opset >= 6 {
			lo, hi = -math.MaxFloat32, math.MaxFloat32
		}
		if a, ok := c.attr("min", graph.AttrFloat); ok {
			lo = float64(a.F)
		}
		if a, ok := c.attr("max", graph.AttrFloat); ok {
			hi = float64(a.F)
		}
		if len(c.n.Inputs) > 1 {
			return nil, c.errf("min and max are attributes before opset 11, not inputs")
		}
	}
	c.infer = sameAsInput
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		flo, fhi := lo, hi
		ilo, ihi := int64(math.MinInt64), int64(math.MaxInt64)
		for k, name := range []string{"min", "max"} {
			if k+1 >= len(ins) || ins[k+1] == nil {
				continue
			}
			b := ins[k+1]
			if err := checkData(b, "input "+name); err != nil {
				return nil, err
			}
			if b.DType != x.DType || b.Len() != 1 {
				return nil, fmt.Errorf("input %s is %v%v, want one %v value", name, b.DType, b.Shape, x.DType)
			}
			switch {
			case storesF32(b.DType):
				flo, fhi = pick(k, flo, fhi, float64(b.F32[0]))
			case b.DType == graph.Float64:
				flo, fhi = pick(k, flo, fhi, b.F64[0])
			default:
				ilo, ihi = pick(k, ilo, ihi, b.I64[0])
			}
		}
		op := mathOp{
			f: func(v float64) float64 {
				if v < flo {
					v = flo
				}
				if v > fhi {
					v = fhi
				}
				return v
			},
			i: func(v int64, unsigned bool) int64 {
				if unsigned {
					if uint64(v) < uint64(ilo) && ilo != math.MinInt64 {
						v = ilo
					}
					if uint64(v) > uint64(ihi) && ihi != math.MaxInt64 {
						v = ihi
					}
					return v
				}
				return min(max(v, ilo), ihi)
			},
		}
		return applyMath(rc, op, x)
	}, nil
}

// pick sets the lower (k = 0) or upper (k = 1) bound.
func pick[T any](k int, lo, hi, v T) (T, T) {
	if k == 0 {
		return v, hi
	}
	return lo, v
}
