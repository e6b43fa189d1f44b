package graph

import (
	"fmt"
	"strings"
)

// DType is an element type, numbered as ONNX's TensorProto.DataType.
type DType int32

// Element types. The numbers are ONNX's, so they cross the file boundary as is.
const (
	Undefined DType = 0
	Float32   DType = 1
	Uint8     DType = 2
	Int8      DType = 3
	Uint16    DType = 4
	Int16     DType = 5
	Int32     DType = 6
	Int64     DType = 7
	String    DType = 8
	Bool      DType = 9
	Float16   DType = 10
	Float64   DType = 11
	Uint32    DType = 12
	Uint64    DType = 13
)

var dtypeNames = map[DType]string{
	Undefined: "undefined", Float32: "float32", Uint8: "uint8", Int8: "int8",
	Uint16: "uint16", Int16: "int16", Int32: "int32", Int64: "int64",
	String: "string", Bool: "bool", Float16: "float16", Float64: "float64",
	Uint32: "uint32", Uint64: "uint64",
}

func (d DType) String() string {
	if s, ok := dtypeNames[d]; ok {
		return s
	}
	return fmt.Sprintf("dtype(%d)", int32(d))
}

// IsInteger reports whether d is stored in Tensor.I64 (integers and bool).
func (d DType) IsInteger() bool {
	switch d {
	case Uint8, Int8, Uint16, Int16, Int32, Int64, Bool, Uint32, Uint64:
		return true
	}
	return false
}

// Tensor is a dense, row-major array. Exactly one of the data slices is used,
// chosen by DType: F32 for Float32 and Float16 (values representable in half
// precision; see RoundFloat16), F64 for Float64, I64 for every integer type
// and Bool (values kept in int64, range of the declared type).
type Tensor struct {
	DType DType
	Shape []int
	F32   []float32
	F64   []float64
	I64   []int64
}

// NewFloat32 returns a Float32 tensor of the given shape. With data nil it is
// zero-filled; otherwise data is used as is and its length must match.
func NewFloat32(shape []int, data []float32) *Tensor {
	n := NumElements(shape)
	if data == nil {
		data = make([]float32, n)
	} else if len(data) != n {
		panic(fmt.Sprintf("graph.NewFloat32: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{DType: Float32, Shape: append([]int(nil), shape...), F32: data}
}

// NewInt64 returns an Int64 tensor; see NewFloat32.
func NewInt64(shape []int, data []int64) *Tensor {
	n := NumElements(shape)
	if data == nil {
		data = make([]int64, n)
	} else if len(data) != n {
		panic(fmt.Sprintf("graph.NewInt64: %d values for shape %v (%d elements)", len(data), shape, n))
	}
	return &Tensor{DType: Int64, Shape: append([]int(nil), shape...), I64: data}
}

// NumElements is the product of shape (1 for a scalar).
func NumElements(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// Len is the number of elements.
func (t *Tensor) Len() int { return NumElements(t.Shape) }

// Clone returns a deep copy.
func (t *Tensor) Clone() *Tensor {
	c := &Tensor{DType: t.DType, Shape: append([]int(nil), t.Shape...)}
	if t.F32 != nil {
		c.F32 = append([]float32(nil), t.F32...)
	}
	if t.F64 != nil {
		c.F64 = append([]float64(nil), t.F64...)
	}
	if t.I64 != nil {
		c.I64 = append([]int64(nil), t.I64...)
	}
	return c
}

// Check reports whether the data slice matching DType holds exactly Len values.
func (t *Tensor) Check() error {
	n := t.Len()
	var got int
	switch {
	case t.DType == Float32 || t.DType == Float16:
		got = len(t.F32)
	case t.DType == Float64:
		got = len(t.F64)
	case t.DType.IsInteger():
		got = len(t.I64)
	default:
		return fmt.Errorf("tensor of type %v is not supported", t.DType)
	}
	if got != n {
		return fmt.Errorf("%v tensor of shape %v has %d values, want %d", t.DType, t.Shape, got, n)
	}
	return nil
}

// ShapeString formats dims as "[N,1,28,28]", using names for symbolic dims.
func ShapeString(shape []int, names []string) string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, d := range shape {
		if i > 0 {
			sb.WriteByte(',')
		}
		switch {
		case i < len(names) && names[i] != "":
			sb.WriteString(names[i])
		case d < 0:
			sb.WriteByte('?')
		default:
			fmt.Fprint(&sb, d)
		}
	}
	sb.WriteByte(']')
	return sb.String()
}
