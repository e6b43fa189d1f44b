package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// newTensor allocates a zero tensor of dtype and shape, using the data slice
// graph.Tensor assigns to dtype.
func newTensor(dt graph.DType, shape []int) *graph.Tensor {
	t := &graph.Tensor{DType: dt, Shape: append([]int{}, shape...)}
	n := graph.NumElements(shape)
	switch {
	case storesF32(dt):
		t.F32 = make([]float32, n)
	case dt == graph.Float64:
		t.F64 = make([]float64, n)
	default:
		t.I64 = make([]int64, n)
	}
	return t
}

// view returns a tensor with t's data and a new shape (same element count).
func view(t *graph.Tensor, shape []int) *graph.Tensor {
	return &graph.Tensor{DType: t.DType, Shape: shape, F32: t.F32, F64: t.F64, I64: t.I64}
}

// checkData reports a tensor whose data does not match its dtype and shape.
func checkData(t *graph.Tensor, what string) error {
	if t == nil {
		return fmt.Errorf("%s is missing", what)
	}
	if err := t.Check(); err != nil {
		return fmt.Errorf("%s: %v", what, err)
	}
	return nil
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// normAxis maps axis in [-rank, rank) (or [-rank, rank] when end is true) to
// a non-negative axis.
func normAxis(axis int64, rank int, end bool) (int, error) {
	hi := int64(rank)
	if end {
		hi++
	}
	a := axis
	if a < 0 {
		a += int64(rank)
	}
	if a < 0 || a >= hi {
		if end {
			return 0, fmt.Errorf("axis %d out of range [%d, %d] for rank %d", axis, -rank, rank, rank)
		}
		return 0, fmt.Errorf("axis %d out of range [%d, %d) for rank %d", axis, -rank, rank, rank)
	}
	return int(a), nil
}

// intsOf returns the values of an integer tensor (shape inputs, axes).
func intsOf(t *graph.Tensor, what string) ([]int64, error) {
	if err := checkData(t, what); err != nil {
		return nil, err
	}
	if t.DType != graph.Int64 && t.DType != graph.Int32 {
		return nil, fmt.Errorf("%s has dtype %v, want int64", what, t.DType)
	}
	if len(t.Shape) > 1 {
		return nil, fmt.Errorf("%s must be 1-D, got shape %v", what, t.Shape)
	}
	return t.I64, nil
}

// wrapInt returns the conversion of an int64 result to the range of an
// integer dtype (two's complement wraparound, as the type does in C).
func wrapInt(dt graph.DType) func(int64) int64 {
	switch dt {
	case graph.Uint8:
		return func(v int64) int64 { return int64(uint8(v)) }
	case graph.Int8:
		return func(v int64) int64 { return int64(int8(v)) }
	case graph.Uint16:
		return func(v int64) int64 { return int64(uint16(v)) }
	case graph.Int16:
		return func(v int64) int64 { return int64(int16(v)) }
	case graph.Uint32:
		return func(v int64) int64 { return int64(uint32(v)) }
	case graph.Int32:
		return func(v int64) int64 { return int64(int32(v)) }
	}
	return nil // int64, uint64 (stored as its bits): no wrap needed
}

func isUnsigned(dt graph.DType) bool {
	switch dt {
	case graph.Uint8, graph.Uint16, graph.Uint32, graph.Uint64:
		return true
	}
	return false
}

func isFloat(dt graph.DType) bool { return dt == graph.Float32 || dt == graph.Float64 }

// storesF32 reports the dtypes whose data is in Tensor.F32: float32, and
// float16 (each value representable in half precision). Ops that only move
// data (Gather, Slice, Transpose...) take float16 through it; arithmetic
// ops take it where they say so (Cast, Add..Div, Min, Max, the one-input
// math ops) and round every result to half precision.
func storesF32(dt graph.DType) bool { return dt == graph.Float32 || dt == graph.Float16 }

// isNumeric reports the element types arithmetic ops accept (no bool).
func isNumeric(dt graph.DType) bool {
	return isFloat(dt) || (dt.IsInteger() && dt != graph.Bool)
}

// satMul multiplies non-negative sizes, saturating above maxElements (a
// zero dim still makes the product 0).
func satMul(a, b int64) int64 {
	if a == 0 || b == 0 {
		return 0
	}
	if a > maxElements/b {
		return maxElements + 1
	}
	return a * b
}

// checkElements refuses a shape of more than maxElements elements (its
// product computed without overflow), before anything is allocated.
func checkElements(shape []int, what string) error {
	n := int64(1)
	for _, d := range shape {
		n = satMul(n, int64(d))
	}
	if n > maxElements {
		return fmt.Errorf("%s %v has more than %d elements", what, shape, int64(maxElements))
	}
	return nil
}
