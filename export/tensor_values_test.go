package export

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// sameValues reports how a and b differ: dtype, shape, or the bits of an
// element (so -0 differs from 0, and NaN payloads count).
func sameValues(a, b *graph.Tensor) error {
	if a.DType != b.DType || !slices.Equal(a.Shape, b.Shape) {
		return fmt.Errorf("%v%v, then %v%v", a.DType, a.Shape, b.DType, b.Shape)
	}
	if len(a.F32) != len(b.F32) || len(a.F64) != len(b.F64) || len(a.I64) != len(b.I64) {
		return fmt.Errorf("%d/%d/%d values, then %d/%d/%d (F32/F64/I64)", len(a.F32), len(a.F64), len(a.I64), len(b.F32), len(b.F64), len(b.I64))
	}
	for i := range a.F32 {
		if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
			return fmt.Errorf("element %d: %g, then %g", i, a.F32[i], b.F32[i])
		}
	}
	for i := range a.F64 {
		if math.Float64bits(a.F64[i]) != math.Float64bits(b.F64[i]) {
			return fmt.Errorf("element %d: %g, then %g", i, a.F64[i], b.F64[i])
		}
	}
	for i := range a.I64 {
		if a.I64[i] != b.I64[i] {
			return fmt.Errorf("element %d: %d, then %d", i, a.I64[i], b.I64[i])
		}
	}
	return nil
}

// matchesIndependentParse compares a tensor UnmarshalTensor decoded from b
// with testenv.ParseTensorProto's reading of the same bytes: a protowire
// reader written apart from the decoder, for FLOAT and INT64 tensors
// (raw_data or typed). compared is false for the element types it does not
// read. A decode → encode → decode round trip cannot see a value the
// decoder loses (it loses it both times); this can.
func matchesIndependentParse(b []byte, got *graph.Tensor) (compared bool, err error) {
	want, perr := testenv.ParseTensorProto(b)
	if errors.Is(perr, testenv.ErrUnsupportedTensor) {
		return false, nil
	}
	if perr != nil {
		return true, fmt.Errorf("UnmarshalTensor accepted a tensor the independent parser refuses: %v", perr)
	}
	shape := make([]int64, len(got.Shape))
	for i, d := range got.Shape {
		shape[i] = int64(d)
	}
	if !slices.Equal(shape, want.Shape) {
		return true, fmt.Errorf("shape %v, independent parser %v", got.Shape, want.Shape)
	}
	switch {
	case want.IsInt64():
		if got.DType != graph.Int64 || len(got.I64) != len(want.Int64) || !slices.Equal(got.I64, want.Int64) {
			return true, fmt.Errorf("got %v %v, independent parser int64 %v", got.DType, got.I64, want.Int64)
		}
	default:
		if got.DType != graph.Float32 || len(got.F32) != len(want.Data) {
			return true, fmt.Errorf("got %v with %d values, independent parser float32 with %d", got.DType, len(got.F32), len(want.Data))
		}
		for i := range want.Data {
			if math.Float32bits(got.F32[i]) != math.Float32bits(want.Data[i]) {
				return true, fmt.Errorf("element %d is %g, independent parser %g", i, got.F32[i], want.Data[i])
			}
		}
	}
	return true, nil
}
