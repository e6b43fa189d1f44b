package testenv

import "errors"

// ErrRawUnsupported is returned (wrapped) by RunORTRaw for tensors
// onnxruntime_go cannot pass: bfloat16, float16 scalars, and models without
// inputs. A caller comparing engines counts such cases as not measured.
var ErrRawUnsupported = errors.New("onnxruntime_go cannot pass this tensor")

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
