package testenv

// The parts of the ONNX Runtime helpers that do not need cgo: the tensor type
// and the wrappers built on NewORTSession. The session itself is in ort.go
// (cgo builds) or ort_nocgo.go (CGO_ENABLED=0).

import (
	"fmt"
	"os"
	"slices"
	"testing"
)

// ORTTensor is a dense tensor passed to or returned by ONNX Runtime. Exactly
// one of Data (float32) and Int64 holds the elements, in row-major order.
// A rank-0 (scalar) tensor has an empty Shape and one element.
type ORTTensor struct {
	// Name is the graph input/output name. For inputs it may be left empty
	// for all inputs, which are then matched to the model inputs by position.
	Name  string
	Shape []int64
	Data  []float32
	Int64 []int64
}

// Float32 returns a float32 tensor.
func Float32(name string, shape []int64, data []float32) ORTTensor {
	return ORTTensor{Name: name, Shape: shape, Data: data}
}

// IsInt64 reports whether the tensor holds int64 elements.
func (x ORTTensor) IsInt64() bool { return x.Int64 != nil && x.Data == nil }

// Len returns the number of elements the shape calls for.
func (x ORTTensor) Len() int {
	n := 1
	for _, d := range x.Shape {
		n *= int(d)
	}
	return n
}

// Clone returns a deep copy (results of ORTSession.Run are reused by the
// next Run; clone them to keep them).
func (x ORTTensor) Clone() ORTTensor {
	return ORTTensor{Name: x.Name, Shape: slices.Clone(x.Shape), Data: slices.Clone(x.Data), Int64: slices.Clone(x.Int64)}
}

func (x ORTTensor) String() string {
	typ := "float32"
	if x.IsInt64() {
		typ = "int64"
	}
	return fmt.Sprintf("%q %s%v", x.Name, typ, x.Shape)
}

// ORTOptions configures an ORTSession.
type ORTOptions struct {
	// IntraOpThreads is SessionOptions.SetIntraOpNumThreads; 0 means 1.
	IntraOpThreads int
	// InterOpThreads is SessionOptions.SetInterOpNumThreads; 0 means 1.
	InterOpThreads int
	// OutputNames selects and orders the outputs returned by Run; nil means
	// all model outputs in model order.
	OutputNames []string
}

// NewORTSessionFile is NewORTSession for a model file.
func NewORTSessionFile(t testing.TB, path string, opts ORTOptions) (*ORTSession, error) {
	t.Helper()
	model, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return NewORTSession(t, model, opts)
}

// RunORT runs a model (ONNX bytes) once on CPU with one intra-op thread and
// returns the requested outputs (all of them when outputNames is empty), in
// the requested order. A missing ONNX Runtime fails or skips the test (see
// ORTLibrary); errors from ONNX Runtime itself are returned.
func RunORT(t testing.TB, model []byte, inputs []ORTTensor, outputNames ...string) ([]ORTTensor, error) {
	t.Helper()
	s, err := NewORTSession(t, model, ORTOptions{OutputNames: outputNames})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	res, err := s.Run(inputs...)
	if err != nil {
		return nil, err
	}
	out := make([]ORTTensor, len(res))
	for i, r := range res {
		out[i] = r.Clone()
	}
	return out, nil
}

// RunORTFile is RunORT for a model file.
func RunORTFile(t testing.TB, path string, inputs []ORTTensor, outputNames ...string) ([]ORTTensor, error) {
	t.Helper()
	model, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return RunORT(t, model, inputs, outputNames...)
}

// declaredOutputRanks reads the graph outputs' declared ranks from the
// serialized ModelProto (-1: no shape declared). On parse errors it returns
