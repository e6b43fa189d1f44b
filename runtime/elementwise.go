package runtime

import (
	"errors"
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

type binOp int

const (
	opAdd binOp = iota
	opSub
	opMul
	opDiv
	opMin // NaN-propagating, as numpy.minimum
	opMax
)

var errIntDivZero = errors.New("integer division by zero")

// compileBinary compiles Add, Sub, Mul, Div. From opset 7 they broadcast as
// numpy does; before, B is broadcast only with broadcast=1, aligned at axis
// (default: at the right).
func compileBinary(op binOp) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		c.legacyConsumedInputs()
		legacy, axis := false, int64(math.MinInt64)
		if c.opset < 7 {
			legacy = c.int("broadcast", 0) != 0
			axis = c.int("axis", math.MinInt64)
		}
		opset := c.opset
		c.infer = broadcastInputs
		if opset < 7 {
			c.infer = sameAsInput // the output has A's shape
		}
		return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
			a, b := ins[0], ins[1]
			if err := checkData(a, "input A"); err != nil {
				return nil, err
			}
			if err := checkData(b, "input B"); err != nil {
				return nil, err
			}
			if opset < 7 {
				bs, err := legacyBroadcast(a.Shape, b.Shape, legacy, axis)
				if err != nil {
					return nil, err
				}
				b = view(b, bs)
			}
			return applyBinary(rc, op, a, b)
		}, nil
	}
}

// legacyBroadcast maps B's shape onto A's rank for the opset < 7 rules:
// without broadcast the shapes must be equal; with it, B's dims match A's
// (or are 1) starting at axis (default len(A)-len(B)).
func legacyBroadcast(as, bs []int, on bool, axis int64) ([]int, error) {
	if !on {
		if !sameShape(as, bs) {
			return nil, fmt.Errorf("shapes %v and %v differ and broadcast=0 (opset < 7)", as, bs)
		}
		return bs, nil
	}
	if len(bs) == 1 && bs[0] == 1 || len(bs) == 0 {
		return bs, nil // scalar
	}
	start := int64(len(as) - len(bs))
	if axis != math.MinInt64 {
		start = axis
		if start < 0 {
			start += int64(len(as))
		}
	}
	if start < 0 || start+int64(len(bs)) > int64(len(as)) {
		return nil, fmt.Errorf("B of shape %v does not fit A of shape %v at axis %d", bs, as, start)
	}
	out := make([]int, len(as))
	for i := range out {
		out[i] = 1
	}
	for i, d := range bs {
		// Size-1 dims of B stretch (PyTorch exports rely on it, and the
		// suite's references agree).
		if d != as[int(start)+i] && d != 1 {
			return nil, fmt.Errorf("B of shape %v does not match A of shape %v at axis %d", bs, as, start)
		}
		out[int(start)+i] = d
	}
	return out, nil
}

// applyBinary applies op elementwise with numpy broadcasting.
func applyBinary(rc *runCtx, op binOp, a, b *graph.Tensor) (*graph.Tensor, error) {
	if a.DType != b.DType {
		return nil, fmt.Errorf("input dtypes differ: %v and %v", a.DType, b.DType)
	}
	if !isNumeric(a.DType) && a.DType != graph.Float16 {
		return nil, fmt.Errorf("dtype %v is not supported", a.DType)
	}
	os, err := broadcastShapes(a.Shape, b.Shape)
	if err != nil {
		return nil, err
	}
	out := &graph.Tensor{DType: a.DType, Shape: os}
	switch a.DType {
	case graph.Float32:
		out.F32 = broadcast2(rc.f32(graph.NumElements(os)), a.F32, b.F32, a.Shape, b.Shape, os, floatOp[float32](op))
	case graph.Float64:
		out.F64 = broadcast2(nil, a.F64, b.F64, a.Shape, b.Shape, os, floatOp[float64](op))
	case graph.Float16: // computed in float32 and rounded to half, as ONNX Runtime does
		f := floatOp[float32](op)
		out.F32 = broadcast2(nil, a.F32, b.F32, a.Shape, b.Shape, os, func(x, y float32) float32 {
			return graph.RoundFloat16(float64(f(x, y)))
		})
	default:
		f, divZero := intOp(op, a.DType)
		out.I64 = broadcast2(nil, a.I64, b.I64, a.Shape, b.Shape, os, f)
		if *divZero {
			return nil, errIntDivZero
		}
	}
	return out, nil
}

func floatOp[T float32 | float64](op binOp) func(x, y T) T {
	switch op {
	case opAdd:
		return func(x, y T) T { return x + y }
	case opSub:
		return func(x, y T) T { return x - y }
	case opMul:
		return func(x, y T) T { return x * y }
	case opMin:
		return func(x, y T) T {
			if x < y || x != x {
				return x
			}
			return y
		}
	case opMax:
		return func(x, y T) T {
			if x > y || x != x {
				return x
			}
			return y
		}
	}
	return func(x, y T) T { return x / y }
}

// intOp returns op for integer dtype dt, wrapping to the type's range; Div
// truncates toward zero (C semantics) and, on a zero divisor, sets *divZero.
func intOp(op binOp, dt graph.DType) (func(x, y int64) int64, *bool) {
	divZero := new(bool)
	var f func(x, y int64) int64
	switch op {
	case opAdd:
		f = func(x, y int64) int64 { return x + y }
	case opSub:
		f = func(x, y int64) int64 { return x - y }
	case opMul:
		f = func(x, y int64) int64 { return x * y }
	case opMin, opMax:
		less := func(x, y int64) bool { return x < y }
		if dt == graph.Uint64 {
			less = func(x, y int64) bool { return uint64(x) < uint64(y) }
		}
		if op == opMin {
			f = func(x, y int64) int64 {
				if less(y, x) {
					return y
				}
				return x
			}
		} else {
			f = func(x, y int64) int64 {
				if less(x, y) {
					return y
				}
				return x
			}
		}
	default:
		if dt == graph.Uint64 {
			f = func(x, y int64) int64 {
				if y == 0 {
					*divZero = true
					return 0
				}
				return int64(uint64(x) / uint64(y))
			}
		} else {
			f = func(x, y int64) int64 {
				if y == 0 {
					*divZero = true
					return 0
				}
				if y == -1 { // avoid the MinInt64 / -1 trap; wraps as in two's complement
					return -x
				}
				return x / y
			}
		}
	}
	if w := wrapInt(dt); w != nil {
		g := f
		f = func(x, y int64) int64 { return w(g(x, y)) }
	}
	return f, divZero
}
