package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// mathOp is an elementwise function of one input. Float types are computed
// in float64 and rounded once (so float32 results are correctly rounded
// wherever math's functions are); integer types use i, or are refused when
// i is nil.
type mathOp struct {
	f   func(x float64) float64
	i   func(x int64, unsigned bool) int64
	f32 func(dst, src []float32) // optional float32 loop (Relu)
}

// compileMath compiles a one-input elementwise op; build reads the node's
// attributes (consumed_inputs of opsets before 6 is accepted for all).
func compileMath(build func(c *nodeCtx) mathOp) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		c.legacyConsumedInputs()
		op := build(c)
		if c.err != nil {
			return nil, c.err
		}
		return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
			x := ins[0]
			if err := checkData(x, "input X"); err != nil {
				return nil, err
			}
			return applyMath(rc, op, x)
		}, nil
	}
}

func applyMath(rc *runCtx, op mathOp, x *graph.Tensor) (*graph.Tensor, error) {
	out := &graph.Tensor{DType: x.DType, Shape: append([]int{}, x.Shape...)}
	switch {
	case x.DType == graph.Float32:
		out.F32 = rc.f32(len(x.F32)) // recycled: write every element
		if op.f32 != nil {
			op.f32(out.F32, x.F32)
			break
		}
		for i, v := range x.F32 {
			out.F32[i] = float32(op.f(float64(v)))
		}
	case x.DType == graph.Float64:
		out.F64 = make([]float64, len(x.F64))
		for i, v := range x.F64 {
			out.F64[i] = op.f(v)
		}
	case x.DType == graph.Float16:
		out.F32 = make([]float32, len(x.F32))
		for i, v := range x.F32 {
			out.F32[i] = graph.RoundFloat16(op.f(float64(v)))
		}
	case op.i != nil && isNumeric(x.DType):
		out.I64 = make([]int64, len(x.I64))
		u, w := isUnsigned(x.DType), wrapInt(x.DType)
		for i, v := range x.I64 {
			r := op.i(v, u)
			if w != nil {
				r = w(r)
			}
			out.I64[i] = r
		}
	default:
		return nil, fmt.Errorf("input X has dtype %v, which the op does not take", x.DType)
	}
	return out, nil
}

// mathOps are the one-input ops without attributes (besides the legacy
// consumed_inputs).
var mathOps = map[string]mathOp{
	"Relu": { // float, and integer types from opset 14 (accepted at any opset)
		f: func(x float64) float64 {
			if x > 0 || x != x { // NaN stays NaN
				return x
			}
			return 0
		},
		i: func(x int64, unsigned bool) int64 {
			if x > 0 || unsigned {
				return x
			}
			return 0
		},
		f32: func(dst, src []float32) {
			for i, v := range src {
				if v > 0 || v != v {
					dst[i] = v
				} else {
					dst[i] = 0
				}
			}
		},
	},
	// Sigmoid and Tanh of float32 values are kernels' (float32, within 3
	// ulp), the definitions the chain, the sampler, the gate and training
	// use too; float64 values take the float64 functions.
	"Sigmoid": {f: kernels.Sigmoid64, f32: mapF32(kernels.Sigmoid)},
	"Tanh":    {f: math.Tanh, f32: mapF32(kernels.Tanh)},
	"Exp":     {f: math.Exp},
	"Log":     {f: math.Log},
	"Sqrt":    {f: math.Sqrt},
	// Neg takes signed integers from opset 6 (two's complement: -(-128) is
	// -128 in int8).
	"Neg": {f: func(x float64) float64 { return -x }, i: func(x int64, _ bool) int64 { return -x }},
	// Softplus: log(1 + exp(x)), computed without overflow.
	"Softplus": {f: func(x float64) float64 {
		if x > 0 {
			return x + math.Log1p(math.Exp(-x))
		}
		return math.Log1p(math.Exp(x))
	}},
}

func compileMathOp(name string) func(c *nodeCtx) (kernel, error) {
	op := mathOps[name]
	return compileMath(func(*nodeCtx) mathOp { return op })
}

// compileElu: x for x >= 0, alpha·(exp(x) − 1) below (alpha default 1).
var compileElu = compileMath(func(c *nodeCtx) mathOp {
	alpha := float64(c.float("alpha", 1))
	return mathOp{f: func(x float64) float64 {
		if x >= 0 || x != x {
			return x
		}
		return alpha * math.Expm1(x)
	}}
})

// compileLeakyRelu: x for x >= 0, alpha·x below (alpha default 0.01).
var compileLeakyRelu = compileMath(func(c *nodeCtx) mathOp {
	alpha := float64(c.float("alpha", 0.01))
	return mathOp{f: func(x float64) float64 {
		if x >= 0 || x != x {
			return x
		}
		return alpha * x
	}}
})

// mapF32 applies f to every element: a mathOp's f32 from a float32 function.
func mapF32(f func(float32) float32) func(dst, src []float32) {
	return func(dst, src []float32) {
		for i, v := range src {
			dst[i] = f(v)
		}
	}
}
