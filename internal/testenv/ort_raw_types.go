package testenv

// RawTensor is a tensor as an ONNX file holds it: the element type
// (TensorProto.DataType numbering), dims, and little-endian data bytes, or
// the elements of a STRING tensor. RunORTRaw takes inputs and fills outputs
// of any element type ONNX Runtime knows, float16 and strings included, so a
// test can run ONNX Runtime on cases the float32/int64 ORTSession cannot.
type RawTensor struct {
	Type    int32
	Shape   []int64
	Data    []byte
	Strings []string
}

// ONNX element type of STRING tensors.
const rawString = 8
