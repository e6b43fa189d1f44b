package runtime

import (
	"fmt"
	"math"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
)

// castTypes are the element types Cast converts between: the ones
// graph.Tensor stores (float16 as half-precision values in F32). bfloat16,
// strings, complex and float8 are refused at compile time (an
// UnsupportedError on attribute to).
var castTypes = map[graph.DType]bool{
	graph.Float32: true, graph.Float64: true, graph.Float16: true, graph.Bool: true,
	graph.Int8: true, graph.Int16: true, graph.Int32: true, graph.Int64: true,
	graph.Uint8: true, graph.Uint16: true, graph.Uint32: true, graph.Uint64: true,
}

// compileCast converts to the element type `to`: a TensorProto DataType name
// ("FLOAT", "INT64") at opset 1, its number from opset 6. Conversions are C's
// (as ONNX Runtime does them): float to integer truncates toward zero,
// integers wrap to the target's width, anything to bool is x != 0, bool is
// 0 or 1. saturate (opset 19) only concerns float8 targets, which are
// refused, so it is read and has no effect.
func compileCast(c *nodeCtx) (kernel, error) {
	var to graph.DType
	if c.opset < 6 {
		name := c.str("to", "")
		dt, ok := dtypeByName(name)
		if !ok {
			return nil, c.unsupported("to", fmt.Sprintf("type %q", name))
		}
		to = dt
	} else {
		if !c.has("to") {
			return nil, c.errf("attribute to is required")
		}
		to = graph.DType(c.int("to", 0))
	}
	if c.opset >= 19 {
		c.int("saturate", 1)
	}
	if c.err != nil {
		return nil, c.err
	}
	if !castTypes[to] {
		return nil, c.unsupported("to", fmt.Sprintf("cast to %v (supported: float16, float32, float64, bool and integer types)", to))
	}
	c.infer = func(ins []static) ([]static, error) {
		s := ins[0]
		if elems, known, ok := s.vector(); ok && to == graph.Int64 && s.val == nil {
			return []static{partialVector(elems, known, len(s.shape) == 0)}, nil
		}
		return []static{{dtype: to, shape: s.shape}}, nil
	}
	return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
		x := ins[0]
		if err := checkData(x, "input"); err != nil {
			return nil, err
		}
		if !castTypes[x.DType] {
			return nil, fmt.Errorf("input has dtype %v, which Cast does not convert", x.DType)
		}
		return castTensor(rc, x, to), nil
	}, nil
}

// dtypeByName maps a TensorProto DataType name (Cast-1's `to`) to a dtype.
func dtypeByName(name string) (graph.DType, bool) {
	names := map[string]graph.DType{
		"FLOAT": graph.Float32, "DOUBLE": graph.Float64, "BOOL": graph.Bool,
		"INT8": graph.Int8, "INT16": graph.Int16, "INT32": graph.Int32, "INT64": graph.Int64,
		"UINT8": graph.Uint8, "UINT16": graph.Uint16, "UINT32": graph.Uint32, "UINT64": graph.Uint64,
		"FLOAT16": graph.Float16, "STRING": graph.String,
	}
	dt, ok := names[strings.ToUpper(name)]
	return dt, ok
}

// castTensor converts x to dtype to.
func castTensor(rc *runCtx, x *graph.Tensor, to graph.DType) *graph.Tensor {
	out := rc.newTensor(to, x.Shape)
	n := x.Len()
	// Read every element as float64 or int64, whichever holds it exactly.
	fromFloat := isFloat(x.DType) || x.DType == graph.Float16
	getF := func(i int) float64 {
		if storesF32(x.DType) {
			return float64(x.F32[i])
		}
		return x.F64[i]
	}
	getI := func(i int) int64 { return x.I64[i] }
	switch {
	case to == graph.Float32 || to == graph.Float64 || to == graph.Float16:
		for i := 0; i < n; i++ {
			var v float64
			switch {
			case fromFloat:
				v = getF(i)
			case x.DType == graph.Uint64:
				v = float64(uint64(getI(i)))
			default:
				v = float64(getI(i))
			}
			switch {
			case to == graph.Float16: // one rounding, from the exact value
				out.F32[i] = graph.RoundFloat16(v)
			case to == graph.Float32:
				out.F32[i] = float32(v)
			default:
				out.F64[i] = v
			}
		}
	case to == graph.Bool:
		for i := 0; i < n; i++ {
			if fromFloat {
				out.I64[i] = b2i(getF(i) != 0)
			} else {
				out.I64[i] = b2i(getI(i) != 0)
			}
		}
	default:
		w := wrapInt(to)
		for i := 0; i < n; i++ {
			var v int64
			if fromFloat {
				v = floatToInt(getF(i), to)
			} else {
				v = getI(i)
			}
			if w != nil {
				v = w(v)
			}
			out.I64[i] = v
		}
	}
	return out
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// floatToInt truncates f toward zero. Values outside int64 (and NaN) have no
// defined result in C; here they saturate (NaN gives 0) so the result does
// not depend on the CPU.
func floatToInt(f float64, to graph.DType) int64 {
	switch {
	case f != f:
		return 0
	case to == graph.Uint64 && f >= 1<<63:
		if f >= 1<<64 {
			return -1 // all bits set: max uint64
		}
		return int64(uint64(f))
	case f >= 1<<63:
		return math.MaxInt64
	case f < -(1 << 63):
		return math.MinInt64
	}
	return int64(f)
}
