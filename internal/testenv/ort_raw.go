//go:build cgo

package testenv

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	ort "github.com/yalue/onnxruntime_go"
)

// RunORTRaw runs the model at path in ONNX Runtime (one intra-op thread) on
// inputs fed by name, and fills each output's Data (or Strings) in place;
// the caller sets every output's Type and Shape, since ORT writes into
// preallocated buffers (onnxruntime_go v1.27 copies too few bytes when it
// allocates a float16 output itself). It calls InitORT, so a missing ONNX
// Runtime ends the test; an error is ORT refusing or failing the model.
func RunORTRaw(t testing.TB, path string, inNames []string, inputs []RawTensor, outNames []string, outputs []RawTensor) error {
	t.Helper()
	InitORT(t)
	so, err := ort.NewSessionOptions()
	if err != nil {
		return fmt.Errorf("onnxruntime: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(1); err != nil {
		return err
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return err
	}
	if len(inputs) == 0 {
		// onnxruntime_go v1.27's Run indexes its first input.
		return fmt.Errorf("%w: a model without inputs", ErrRawUnsupported)
	}
	sess, err := ort.NewDynamicAdvancedSession(path, inNames, outNames, so)
	if err != nil {
		return fmt.Errorf("onnxruntime: %w", err)
	}
	defer sess.Destroy()
	var vals []ort.Value
	defer func() {
		for _, v := range vals {
			v.Destroy()
		}
	}()
	in := make([]ort.Value, len(inputs))
	for i, x := range inputs {
		v, _, err := rawValue(x)
		if err != nil {
			return fmt.Errorf("input %s: %w", inNames[i], err)
		}
		vals = append(vals, v)
		in[i] = v
	}
	out := make([]ort.Value, len(outputs))
	read := make([]func() []byte, len(outputs))
	for i, x := range outputs {
		n := int64(1)
		for _, d := range x.Shape {
			n *= d
		}
		if x.Type == rawString {
			x.Strings = make([]string, n)
		} else {
			size, ok := rawSize(x.Type)
			if !ok {
				return fmt.Errorf("output %s: %w: element type %d", outNames[i], ErrRawUnsupported, x.Type)
			}
			x.Data = make([]byte, n*size)
		}
		outputs[i] = x
		v, r, err := rawValue(x)
		if err != nil {
			return fmt.Errorf("output %s: %w", outNames[i], err)
		}
		vals = append(vals, v)
		out[i], read[i] = v, r
	}
	if err := sess.Run(in, out); err != nil {
		return fmt.Errorf("onnxruntime: run: %w", err)
	}
	for i, v := range out {
		if s, ok := v.(*ort.StringTensor); ok {
			c, err := s.GetContents()
			if err != nil {
				return err
			}
			outputs[i].Strings = c
			continue
		}
		outputs[i].Data = read[i]()[:len(outputs[i].Data)]
	}
	return nil
}

// rawValue makes an ORT tensor holding a copy of x, and a function reading
// its data back as raw bytes.
func rawValue(x RawTensor) (ort.Value, func() []byte, error) {
	if x.Type == 16 {
		return nil, nil, fmt.Errorf("%w: bfloat16 (ORT sees uint16)", ErrRawUnsupported)
	}
	if len(x.Shape) == 0 {
		return rawScalar(x)
	}
	shape := ort.NewShape(x.Shape...)
	if x.Type == rawString {
		s, err := ort.NewStringTensor(shape)
		if err != nil {
			return nil, nil, err
		}
		if err := s.SetContents(x.Strings); err != nil {
			s.Destroy()
			return nil, nil, err
		}
		return s, nil, nil
	}
	data := append([]byte(nil), x.Data...)
	if len(data) == 0 {
		data = []byte{0} // onnxruntime_go wants a byte even for an empty tensor
	}
	t, err := ort.NewCustomDataTensor(shape, data, ort.TensorElementDataType(x.Type))
	if err != nil {
		return nil, nil, err
	}
	return t, t.GetData, nil
}

// rawScalar makes a rank-0 tensor (onnxruntime_go takes those only as typed
// Scalars).
func rawScalar(x RawTensor) (ort.Value, func() []byte, error) {
	le := binary.LittleEndian
	b := x.Data
	if x.Type != rawString && len(b) == 0 {
		n, ok := rawSize(x.Type)
		if !ok {
			return nil, nil, fmt.Errorf("%w: element type %d", ErrRawUnsupported, x.Type)
		}
		b = make([]byte, n)
	}
	switch x.Type {
	case 1:
		return scalar(math.Float32frombits(le.Uint32(b)), func(v float32) []byte { return le.AppendUint32(nil, math.Float32bits(v)) })
	case 11:
		return scalar(math.Float64frombits(le.Uint64(b)), func(v float64) []byte { return le.AppendUint64(nil, math.Float64bits(v)) })
	case 2:
		return scalar(b[0], func(v uint8) []byte { return []byte{v} })
	case 3:
		return scalar(int8(b[0]), func(v int8) []byte { return []byte{byte(v)} })
	case 9:
		return scalar(b[0] != 0, func(v bool) []byte {
			if v {
				return []byte{1}
			}
			return []byte{0}
		})
	case 4:
		return scalar(le.Uint16(b), func(v uint16) []byte { return le.AppendUint16(nil, v) })
	case 5:
		return scalar(int16(le.Uint16(b)), func(v int16) []byte { return le.AppendUint16(nil, uint16(v)) })
	case 6:
		return scalar(int32(le.Uint32(b)), func(v int32) []byte { return le.AppendUint32(nil, uint32(v)) })
	case 12:
		return scalar(le.Uint32(b), func(v uint32) []byte { return le.AppendUint32(nil, v) })
	case 7:
		return scalar(int64(le.Uint64(b)), func(v int64) []byte { return le.AppendUint64(nil, uint64(v)) })
	case 13:
		return scalar(le.Uint64(b), func(v uint64) []byte { return le.AppendUint64(nil, v) })
	}
	return nil, nil, fmt.Errorf("%w: a scalar of element type %d", ErrRawUnsupported, x.Type)
}

func scalar[T ort.TensorData](v T, enc func(T) []byte) (ort.Value, func() []byte, error) {
	s, err := ort.NewScalar(v)
	if err != nil {
		return nil, nil, err
	}
	return s, func() []byte { return enc(s.GetData()) }, nil
}

// rawSize is the byte size of an element type ORT takes as raw data.
func rawSize(typ int32) (int64, bool) {
	switch typ {
	case 1, 6, 12: // float, int32, uint32
		return 4, true
	case 2, 3, 9: // uint8, int8, bool
		return 1, true
	case 4, 5, 10, 16: // uint16, int16, float16, bfloat16
		return 2, true
	case 7, 11, 13: // int64, double, uint64
		return 8, true
	}
	return 0, false
}
