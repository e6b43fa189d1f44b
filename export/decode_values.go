package export

import (
	"encoding/binary"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// fromRaw fills t with n little-endian elements of type dt from raw, whose
// length tensorData has checked. t.DType is the storage type (float32 for
// converted halves and weights).
func fromRaw(t *graph.Tensor, dt graph.DType, raw []byte, n int) {
	le := binary.LittleEndian
	switch dt {
	case graph.Float32:
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(le.Uint32(raw[4*i:]))
		}
	case graph.Float64:
		f := make([]float64, n)
		for i := range f {
			f[i] = math.Float64frombits(le.Uint64(raw[8*i:]))
		}
		setFloat64(t, f)
	case graph.Float16, bfloat16:
		conv := graph.Float16ToFloat32
		if dt == bfloat16 {
			conv = bfloat16ToFloat32
		}
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = conv(le.Uint16(raw[2*i:]))
		}
	default:
		size, _ := storage(dt)
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			var x uint64
			switch size {
			case 1:
				x = uint64(raw[i])
			case 2:
				x = uint64(le.Uint16(raw[2*i:]))
			case 4:
				x = uint64(le.Uint32(raw[4*i:]))
			case 8:
				x = le.Uint64(raw[8*i:])
			}
			t.I64[i] = intOf(dt, x)
		}
	}
}

// fromTyped fills t with the n elements of tp's typed field for dt.
func fromTyped(t *graph.Tensor, dt graph.DType, tp *onnxpb.TensorProto, n int) {
	switch dt {
	case graph.Float32:
		t.F32 = make([]float32, n)
		copy(t.F32, tp.GetFloatData())
	case graph.Float64:
		setFloat64(t, append(make([]float64, 0, n), tp.GetDoubleData()...))
	case graph.Float16, bfloat16:
		conv := graph.Float16ToFloat32
		if dt == bfloat16 {
			conv = bfloat16ToFloat32
		}
		t.F32 = make([]float32, n)
		for i, x := range tp.GetInt32Data() {
			t.F32[i] = conv(uint16(x)) // the 16 bits sit in the low half
		}
	case graph.Int64:
		t.I64 = append(make([]int64, 0, n), tp.GetInt64Data()...)
	case graph.Uint32, graph.Uint64:
		t.I64 = make([]int64, n)
		for i, x := range tp.GetUint64Data() {
			t.I64[i] = intOf(dt, x)
		}
	default: // int32_data: int32, int16, uint16, int8, uint8, bool
		t.I64 = make([]int64, n)
		for i, x := range tp.GetInt32Data() {
			t.I64[i] = intOf(dt, uint64(uint32(x)))
		}
	}
}

// setFloat64 stores float64 data as float64, or as float32 when the tensor
// was marked for conversion (t.DType already Float32).
func setFloat64(t *graph.Tensor, f []float64) {
	if t.DType == graph.Float64 {
		t.F64 = f
		return
	}
	t.F32 = make([]float32, len(f))
	for i, x := range f {
		t.F32[i] = float32(x)
	}
}

// intOf reads the low bits of x as a value of integer type dt.
func intOf(dt graph.DType, x uint64) int64 {
	switch dt {
	case graph.Int8:
		return int64(int8(x))
	case graph.Uint8:
		return int64(uint8(x))
	case graph.Int16:
		return int64(int16(x))
	case graph.Uint16:
		return int64(uint16(x))
	case graph.Int32:
		return int64(int32(x))
	case graph.Uint32:
		return int64(uint32(x))
	case graph.Bool:
		if uint8(x) != 0 {
			return 1
		}
		return 0
	}
	return int64(x) // int64; uint64 wraps above 2⁶³-1
}
