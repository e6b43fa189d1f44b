//go:build cgo

// ONNX Runtime through github.com/yalue/onnxruntime_go, which needs cgo;
// ort_nocgo.go has the same API for CGO_ENABLED=0 builds.

package testenv

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/pixelgraph/pixelgraph/internal/ortlib"
)

// InitORT loads libonnxruntime (see ORTLibrary) and initializes the ONNX
// Runtime environment, once per process (ortlib.Init, which pixelgraph
// bench shares). If that failed, every call fails the test with the
// recorded error.
func InitORT(t testing.TB) {
	t.Helper()
	lib := ORTLibrary(t) // may skip/fail before anything is loaded
	if err := ortlib.Init(lib); err != nil {
		t.Fatal(err)
	}
}

// ORTVersion returns the version string of the loaded ONNX Runtime library.
func ORTVersion(t testing.TB) string {
	t.Helper()
	InitORT(t)
	return ort.GetVersion()
}

// ORTElementType is a tensor element type as ONNX Runtime reports it
// (onnxruntime_go's TensorElementDataType; an int in CGO_ENABLED=0 builds).
type ORTElementType = ort.TensorElementDataType

// ORTValueInfo describes a model input or output. Symbolic dimensions are -1.
type ORTValueInfo struct {
	Name  string
	Shape []int64
	Type  ORTElementType
}

// ORTSession is a reusable ONNX Runtime session for tests and benchmarks.
// Run keeps input and output buffers between calls with the same input
// shapes, so repeated runs allocate little. It is not safe for concurrent use.
type ORTSession struct {
	Inputs  []ORTValueInfo // all model inputs, model order
	Outputs []ORTValueInfo // outputs returned by Run, in Run's order

	sess   *ort.DynamicAdvancedSession
	inVals []ort.Value // cached input tensors (nil for scalars, rebuilt each run)
	inBufF [][]float32
	inBufI [][]int64
	inShp  [][]int64
	// outputs of the previous run, fed back to ORT when input shapes repeat
	outVals []ort.Value
	outRes  []ORTTensor
	reuse   bool
	argIn   []ort.Value
	argOut  []ort.Value
	fresh   []bool
	// scalarOut[j]: output j is declared rank 0 and gets a pre-allocated
	// Scalar (onnxruntime_go cannot auto-allocate rank-0 outputs).
	scalarOut []bool
	order     []int
	closed    bool
}

// NewORTSession creates a session for the model (ONNX bytes). It calls
// InitORT, so a missing ONNX Runtime fails or skips the test. The session is
// closed automatically at the end of the test; Close may be called earlier.
func NewORTSession(t testing.TB, model []byte, opts ORTOptions) (*ORTSession, error) {
	t.Helper()
	InitORT(t)
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(model)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: reading model inputs/outputs: %w", err)
	}
	s := &ORTSession{}
	for _, in := range ins {
		if in.OrtValueType != ort.ONNXTypeTensor {
			return nil, fmt.Errorf("model input %q is a %v, only tensors are supported", in.Name, in.OrtValueType)
		}
		s.Inputs = append(s.Inputs, ORTValueInfo{Name: in.Name, Shape: slices.Clone([]int64(in.Dimensions)), Type: in.DataType})
	}
	if len(s.Inputs) == 0 {
		// onnxruntime_go v1.27.0's Run indexes inputValues[0] unconditionally.
		return nil, errors.New("model has no inputs; onnxruntime_go cannot run such a model")
	}
	ranks := declaredOutputRanks(model)
	byName := map[string]ort.InputOutputInfo{}
	for _, o := range outs {
		byName[o.Name] = o
	}
	names := opts.OutputNames
	if len(names) == 0 {
		for _, o := range outs {
			names = append(names, o.Name)
		}
	}
	for _, n := range names {
		o, ok := byName[n]
		if !ok {
			return nil, fmt.Errorf("model has no output %q", n)
		}
		if o.OrtValueType != ort.ONNXTypeTensor {
			return nil, fmt.Errorf("model output %q is a %v, only tensors are supported", o.Name, o.OrtValueType)
		}
		s.Outputs = append(s.Outputs, ORTValueInfo{Name: o.Name, Shape: slices.Clone([]int64(o.Dimensions)), Type: o.DataType})
		// ORT reports no dimensions both for rank 0 and for unknown rank;
		// only a declared empty shape is a scalar.
		s.scalarOut = append(s.scalarOut, len(o.Dimensions) == 0 && ranks[o.Name] == 0)
	}

	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: session options: %w", err)
	}
	defer so.Destroy()
	intra, inter := max(opts.IntraOpThreads, 1), max(opts.InterOpThreads, 1)
	if err := so.SetIntraOpNumThreads(intra); err != nil {
		return nil, fmt.Errorf("onnxruntime: SetIntraOpNumThreads(%d): %w", intra, err)
	}
	if err := so.SetInterOpNumThreads(inter); err != nil {
		return nil, fmt.Errorf("onnxruntime: SetInterOpNumThreads(%d): %w", inter, err)
	}
	inNames := make([]string, len(s.Inputs))
	for i, in := range s.Inputs {
		inNames[i] = in.Name
	}
	s.sess, err = ort.NewDynamicAdvancedSessionWithONNXData(model, inNames, names, so)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: creating session: %w", err)
	}
	n, m := len(s.Inputs), len(s.Outputs)
	s.inVals, s.inBufF, s.inBufI, s.inShp = make([]ort.Value, n), make([][]float32, n), make([][]int64, n), make([][]int64, n)
	s.outVals, s.outRes = make([]ort.Value, m), make([]ORTTensor, m)
	s.argIn, s.argOut, s.order, s.fresh = make([]ort.Value, n), make([]ort.Value, m), make([]int, n), make([]bool, m)
	t.Cleanup(func() { s.Close() })
	return s, nil
}

// Close releases the session and its buffers. It is idempotent.
func (s *ORTSession) Close() error {
	if s == nil || s.closed {
		return nil
	}
	s.closed = true
	s.dropOutputs()
	for i, v := range s.inVals {
		if v != nil {
			v.Destroy()
			s.inVals[i] = nil
		}
	}
	if s.sess != nil {
		return s.sess.Destroy()
	}
	return nil
}

func (s *ORTSession) dropOutputs() {
	for i, v := range s.outVals {
		if v != nil {
			v.Destroy()
			s.outVals[i] = nil
		}
	}
	s.reuse = false
}

// matchInputs fills s.order[i] with the index in inputs of model input i.
func (s *ORTSession) matchInputs(inputs []ORTTensor) error {
	if len(inputs) != len(s.Inputs) {
		return fmt.Errorf("model has %d inputs %v, got %d tensors", len(s.Inputs), s.inputNames(), len(inputs))
	}
	named := false
	for _, in := range inputs {
		if in.Name != "" {
			named = true
			break
		}
	}
	if !named {
		for i := range s.order {
			s.order[i] = i
		}
		return nil
	}
	for i, info := range s.Inputs {
		s.order[i] = -1
		for j, in := range inputs {
			if in.Name == info.Name {
				if s.order[i] >= 0 {
					return fmt.Errorf("input %q given twice", in.Name)
				}
				s.order[i] = j
			}
		}
		if s.order[i] < 0 {
			return fmt.Errorf("missing input %q (model inputs %v; name all inputs or none)", info.Name, s.inputNames())
		}
	}
	return nil
}

func (s *ORTSession) inputNames() []string {
	names := make([]string, len(s.Inputs))
	for i, in := range s.Inputs {
		names[i] = in.Name
	}
	return names
}

// prepareInput makes s.inVals[i] hold x; it reports whether the cached
// tensor (same shape) was reused.
func (s *ORTSession) prepareInput(i int, x ORTTensor) (bool, error) {
	info := s.Inputs[i]
	want := x.Len()
	switch info.Type {
	case ort.TensorElementDataTypeFloat:
		if x.Data == nil || x.Int64 != nil {
			return false, fmt.Errorf("input %q: model wants float32, got %v", info.Name, x)
		}
		if len(x.Data) != want {
			return false, fmt.Errorf("input %q: shape %v needs %d elements, got %d", info.Name, x.Shape, want, len(x.Data))
		}
	case ort.TensorElementDataTypeInt64:
		if x.Int64 == nil || x.Data != nil {
			return false, fmt.Errorf("input %q: model wants int64, got %v", info.Name, x)
		}
		if len(x.Int64) != want {
			return false, fmt.Errorf("input %q: shape %v needs %d elements, got %d", info.Name, x.Shape, want, len(x.Int64))
		}
	default:
		return false, fmt.Errorf("input %q has element type %v; only float32 and int64 are supported", info.Name, info.Type)
	}
	if len(info.Shape) != len(x.Shape) {
		return false, fmt.Errorf("input %q: model wants rank %d %v, got shape %v", info.Name, len(info.Shape), info.Shape, x.Shape)
	}
	for k, d := range info.Shape {
		if d >= 0 && x.Shape[k] != d {
			return false, fmt.Errorf("input %q: model wants shape %v, got %v", info.Name, info.Shape, x.Shape)
		}
	}
	if s.inVals[i] != nil && len(x.Shape) > 0 && slices.Equal(s.inShp[i], x.Shape) {
		if info.Type == ort.TensorElementDataTypeFloat {
			copy(s.inBufF[i], x.Data)
		} else {
			copy(s.inBufI[i], x.Int64)
		}
		return true, nil
	}
	if s.inVals[i] != nil {
		s.inVals[i].Destroy()
		s.inVals[i] = nil
	}
	var err error
	if len(x.Shape) == 0 {
		// onnxruntime_go's NewTensor rejects rank 0; Scalar.Set does not
		// update the OrtValue, so a scalar is rebuilt every run.
		if info.Type == ort.TensorElementDataTypeFloat {
			s.inVals[i], err = ort.NewScalar(x.Data[0])
		} else {
			s.inVals[i], err = ort.NewScalar(x.Int64[0])
		}
	} else if info.Type == ort.TensorElementDataTypeFloat {
		s.inBufF[i] = slices.Clone(x.Data)
		s.inVals[i], err = ort.NewTensor(ort.Shape(slices.Clone(x.Shape)), s.inBufF[i])
	} else {
		s.inBufI[i] = slices.Clone(x.Int64)
		s.inVals[i], err = ort.NewTensor(ort.Shape(slices.Clone(x.Shape)), s.inBufI[i])
	}
	if err != nil {
		s.inVals[i] = nil
		return false, fmt.Errorf("input %q: %w", info.Name, err)
	}
	s.inShp[i] = slices.Clone(x.Shape)
	return false, nil
}

// Run runs the model. Inputs are matched by name, or by position when no
// input is named. The returned tensors (and their Data/Shape) are owned by
// the session and overwritten by the next Run: Clone them to keep them.
func (s *ORTSession) Run(inputs ...ORTTensor) ([]ORTTensor, error) {
	if s.closed {
		return nil, errors.New("ORTSession is closed")
	}
	if err := s.matchInputs(inputs); err != nil {
		return nil, err
	}
	sameShapes := true
	for i := range s.Inputs {
		reused, err := s.prepareInput(i, inputs[s.order[i]])
		if err != nil {
			return nil, err
		}
		sameShapes = sameShapes && reused
		s.argIn[i] = s.inVals[i]
	}
	if !sameShapes || !s.reuse {
		s.dropOutputs()
	}
	err := s.run()
	if err != nil && s.reuse {
		// The previous outputs did not fit (shape depends on values?):
		// let ORT allocate and try once more.
		s.dropOutputs()
		err = s.run()
	}
	if err != nil {
		s.dropOutputs()
		return nil, err
	}
	s.reuse = true
	return s.outRes, nil
}

func (s *ORTSession) run() error {
	for j, o := range s.Outputs {
		s.fresh[j] = s.outVals[j] == nil
		s.argOut[j] = s.outVals[j]
		if s.argOut[j] == nil && s.scalarOut[j] {
			// Auto-allocated rank-0 outputs fail in onnxruntime_go (NewTensor
			// rejects empty shapes): give ORT a scalar to write into.
			var v ort.Value
			var err error
			switch o.Type {
			case ort.TensorElementDataTypeFloat:
				v, err = ort.NewEmptyScalar[float32]()
			case ort.TensorElementDataTypeInt64:
				v, err = ort.NewEmptyScalar[int64]()
			default:
				err = fmt.Errorf("output %q has element type %v; only float32 and int64 are supported", o.Name, o.Type)
			}
			if err != nil {
				return err
			}
			s.outVals[j], s.argOut[j] = v, v
		}
	}
	err := s.sess.Run(s.argIn, s.argOut)
	for j, v := range s.argOut {
		if s.outVals[j] == nil && v != nil {
			s.outVals[j] = v // auto-allocated by ORT (also on error, to be freed)
		}
	}
	if err != nil {
		return fmt.Errorf("onnxruntime: %w", err)
	}
	for j, o := range s.Outputs {
		r := &s.outRes[j]
		r.Name = o.Name
		switch v := s.outVals[j].(type) {
		case *ort.Tensor[float32]:
			r.Data, r.Int64 = v.GetData(), nil
		case *ort.Tensor[int64]:
			r.Data, r.Int64 = nil, v.GetData()
		case *ort.Scalar[float32]:
			r.Data, r.Int64 = []float32{v.GetData()}, nil
		case *ort.Scalar[int64]:
			r.Data, r.Int64 = nil, []int64{v.GetData()}
		default:
			return fmt.Errorf("output %q has unsupported type %T (element type %v); only float32 and int64 are supported", o.Name, v, o.Type)
		}
		if s.fresh[j] || r.Shape == nil {
			r.Shape = s.outVals[j].GetShape() // a copy; Scalar gives nil
			if r.Shape == nil {
				r.Shape = []int64{}
			}
		}
	}
	return nil
}

// what it found so far.
func declaredOutputRanks(model []byte) map[string]int {
	ranks := map[string]int{}
	forEach := func(b []byte, want protowire.Number, fn func([]byte)) {
		for len(b) > 0 {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return
			}
			b = b[n:]
			if num == want && typ == protowire.BytesType {
				v, m := protowire.ConsumeBytes(b)
				if m < 0 {
					return
				}
				fn(v)
				b = b[m:]
				continue
			}
			m := protowire.ConsumeFieldValue(num, typ, b)
			if m < 0 {
				return
			}
			b = b[m:]
		}
	}
	forEach(model, 7, func(graph []byte) { // ModelProto.graph
		forEach(graph, 12, func(vi []byte) { // GraphProto.output
			name, rank := "", -1
			forEach(vi, 1, func(v []byte) { name = string(v) }) // ValueInfoProto.name
			forEach(vi, 2, func(tp []byte) {                    // ValueInfoProto.type
				forEach(tp, 1, func(tt []byte) { // TypeProto.tensor_type
					forEach(tt, 2, func(shape []byte) { // Tensor.shape
						rank = 0
						forEach(shape, 1, func([]byte) { rank++ }) // TensorShapeProto.dim
					})
				})
			})
			ranks[name] = rank
		})
	})
	return ranks
}
