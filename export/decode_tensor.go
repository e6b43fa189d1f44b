package export

import (
	"math"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// storage returns the raw_data width of an element type Decode reads and the
// typed field that holds it otherwise; size 0 means unsupported.
func storage(dt graph.DType) (size int64, field string) {
	switch dt {
	case graph.Float32:
		return 4, "float_data"
	case graph.Float64:
		return 8, "double_data"
	case graph.Int64:
		return 8, "int64_data"
	case graph.Uint32:
		return 4, "uint64_data"
	case graph.Uint64:
		return 8, "uint64_data"
	case graph.Int32:
		return 4, "int32_data"
	case graph.Uint8, graph.Int8, graph.Bool:
		return 1, "int32_data"
	case graph.Uint16, graph.Int16, graph.Float16, bfloat16:
		return 2, "int32_data"
	}
	return 0, ""
}

// bfloat16 is ONNX's BFLOAT16 element type, which graph.DType does not name.
const bfloat16 graph.DType = 16

// typedLens lists the length of every typed data field of tp.
func typedLens(tp *onnxpb.TensorProto) map[string]int {
	return map[string]int{
		"float_data":  len(tp.GetFloatData()),
		"double_data": len(tp.GetDoubleData()),
		"int32_data":  len(tp.GetInt32Data()),
		"int64_data":  len(tp.GetInt64Data()),
		"uint64_data": len(tp.GetUint64Data()),
		"string_data": len(tp.GetStringData()),
	}
}

// tensor decodes an initializer or a tensor attribute. The declared size
// (product of dims × element size, overflow-checked) is compared with the
// bytes actually present — raw_data, the typed field or the external
// segment — before anything is allocated, and counted against MaxBytes.
//
// Element types: float32 → F32; float64 → F64 and float16 → Float16 (its
// values in F32, exactly), except that tensors feeding Conv, Gemm or MatMul
// (toF32) become float32, the precision the kernels run in; bfloat16 always
// becomes float32 (the IR has no bfloat16 type; the conversion is exact);
// integer types and bool → I64, in the range of the declared type. Strings,
// complex, float8 and 4-bit types are unsupported.
func (d *decoder) tensor(tp *onnxpb.TensorProto, w Where, toF32 bool) (*graph.Tensor, error) {
	dt := graph.DType(tp.GetDataType())
	size, field := storage(dt)
	if size == 0 {
		if dt == graph.Undefined {
			return nil, formatErr(w, "tensor has no data_type")
		}
		return nil, unsupportedErr(w, "tensors of type %v are not supported", dt)
	}
	if tp.GetSegment() != nil {
		return nil, unsupportedErr(w, "segmented tensors are not supported")
	}
	n, err := numElements(tp.GetDims(), w)
	if err != nil {
		return nil, err
	}
	if n > math.MaxInt64/size {
		return nil, formatErr(w, "dims %v of type %v overflow a 64-bit byte count", tp.GetDims(), dt)
	}
	nbytes := n * size
	raw, err := d.tensorData(tp, w, dt, n, nbytes, field)
	if err != nil {
		return nil, err
	}
	t := &graph.Tensor{DType: dt, Shape: make([]int, len(tp.GetDims()))}
	for i, dim := range tp.GetDims() {
		t.Shape[i] = int(dim) // fits: checked by numElements
	}
	if dt == bfloat16 || ((dt == graph.Float16 || dt == graph.Float64) && toF32) {
		t.DType = graph.Float32
	}
	if raw != nil {
		fromRaw(t, dt, raw, int(n))
	} else {
		fromTyped(t, dt, tp, int(n))
	}
	return t, nil
}

// numElements multiplies dims, refusing negative dims and overflow. The
// product of the non-zero dims must not overflow either, so an empty tensor
// cannot carry dims whose partial products wrap around in later code.
func numElements(dims []int64, w Where) (int64, error) {
	n, nz := int64(1), int64(1)
	for i, d := range dims {
		if d < 0 {
			return 0, formatErr(w, "dimension %d is negative (%d)", i, d)
		}
		if int64(clampInt(d)) != d {
			return 0, unsupportedErr(w, "dimension %d (%d) does not fit in an int", i, d)
		}
		if d == 0 {
			n = 0
			continue
		}
		if nz > math.MaxInt64/d {
			return 0, formatErr(w, "dims %v overflow a 64-bit element count", dims)
		}
		nz *= d
		n *= d
	}
	return n, nil
}

// tensorData checks where tp's data is and that it holds exactly n elements
// (nbytes bytes). It returns the raw bytes (raw_data or external), or nil
// when the data is in the typed field.
func (d *decoder) tensorData(tp *onnxpb.TensorProto, w Where, dt graph.DType, n, nbytes int64, field string) ([]byte, error) {
	lens := typedLens(tp)
	inline := ""
	for _, f := range []string{"float_data", "double_data", "int32_data", "int64_data", "uint64_data", "string_data"} {
		if lens[f] > 0 && f != field {
			w.Field = f
			return nil, formatErr(w, "%v tensors keep typed data in %s, not %s", dt, field, f)
		}
		if lens[f] > 0 {
			inline = f
		}
	}
	if tp.RawData != nil && inline != "" {
		w.Field = "raw_data"
		return nil, formatErr(w, "tensor has both raw_data and %s", inline)
	}
	external := tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL
	if !external && len(tp.GetExternalData()) > 0 {
		w.Field = "external_data"
		return nil, formatErr(w, "external_data is set but data_location is not EXTERNAL")
	}
	var raw []byte
	switch {
	case external:
		if tp.RawData != nil || inline != "" {
			w.Field = "data_location"
			return nil, formatErr(w, "external tensor also has inline data")
		}
		return d.external(tp, w, nbytes) // charges once the file's size is checked
	case tp.RawData != nil:
		if int64(len(tp.RawData)) != nbytes {
			w.Field = "raw_data"
			return nil, formatErr(w, "raw_data holds %d bytes, but dims %v of %v need %d", len(tp.RawData), tp.GetDims(), dt, nbytes)
		}
		raw = tp.RawData
	default:
		if int64(lens[field]) != n {
			w.Field = field
			return nil, formatErr(w, "%s holds %d values, but dims %v need %d", field, lens[field], tp.GetDims(), n)
		}
	}
	if err := d.charge(nbytes, tp, w); err != nil {
		return nil, err
	}
	return raw, nil
}

// charge counts nbytes of tensor data against DecodeOptions.MaxBytes; it
// runs after the data present has been checked and before any allocation.
func (d *decoder) charge(nbytes int64, tp *onnxpb.TensorProto, w Where) error {
	if nbytes > d.max-d.total {
		return unsupportedErr(w, "tensor data (%d bytes, dims %v) exceeds the %d-byte limit (DecodeOptions.MaxBytes)", nbytes, tp.GetDims(), d.max)
	}
	d.total += nbytes
	return nil
}

// bfloat16ToFloat32 widens a bfloat16 (the top half of a float32).
func bfloat16ToFloat32(b uint16) float32 { return math.Float32frombits(uint32(b) << 16) }

// UnmarshalTensor decodes a standalone TensorProto (an input_<k>.pb or
// output_<k>.pb file of the ONNX backend test data), with the same checks
// and conversions as initializers; it is the inverse of MarshalTensor.
func UnmarshalTensor(b []byte, opts *DecodeOptions) (name string, t *graph.Tensor, err error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(b, &tp); err != nil {
		return "", nil, &FormatError{Msg: "not an ONNX TensorProto (protobuf)", Err: err}
	}
	d := &decoder{opts: opts, max: opts.maxBytes()}
	defer d.close()
	t, err = d.tensor(&tp, Where{Tensor: tp.GetName()}, false)
	return tp.GetName(), t, err
}
