package testenv

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
)

// ErrUnsupportedTensor is returned (wrapped) by ParseTensorProto for tensors
// whose element type is neither FLOAT nor INT64, or whose data is external.
var ErrUnsupportedTensor = errors.New("unsupported TensorProto")

// TensorProto element types (onnx.TensorProto.DataType) handled here.
const (
	tensorFloat = 1
	tensorInt64 = 7
)

// ParseTensorProto decodes a serialized onnx.TensorProto holding FLOAT or
// INT64 data (raw_data, float_data or int64_data). It does not depend on
// generated protobuf code.
func ParseTensorProto(b []byte) (ORTTensor, error) {
	var (
		x        ORTTensor
		dataType int64 = -1
		raw      []byte
		hasRaw   bool
		floats   []float32
		ints     []int64
		external bool
	)
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return x, fmt.Errorf("TensorProto: bad tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var err error
		switch {
		case num == 1 && typ == protowire.VarintType: // dims
			v, m := protowire.ConsumeVarint(b)
			n = m
			x.Shape = append(x.Shape, int64(v))
		case num == 1 && typ == protowire.BytesType: // packed dims
			var p []byte
			p, n = protowire.ConsumeBytes(b)
			for len(p) > 0 && n >= 0 {
				v, m := protowire.ConsumeVarint(p)
				if m < 0 {
					err = protowire.ParseError(m)
					break
				}
				x.Shape = append(x.Shape, int64(v))
				p = p[m:]
			}
		case num == 2 && typ == protowire.VarintType: // data_type
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			dataType = int64(v)
		case num == 4 && typ == protowire.BytesType: // packed float_data
			var p []byte
			p, n = protowire.ConsumeBytes(b)
			if len(p)%4 != 0 {
				err = errors.New("float_data length not a multiple of 4")
			}
			for i := 0; i+4 <= len(p); i += 4 {
				floats = append(floats, math.Float32frombits(binary.LittleEndian.Uint32(p[i:])))
			}
		case num == 4 && typ == protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b)
			floats = append(floats, math.Float32frombits(v))
		case num == 7 && typ == protowire.BytesType: // packed int64_data
			var p []byte
			p, n = protowire.ConsumeBytes(b)
			for len(p) > 0 && n >= 0 {
				v, m := protowire.ConsumeVarint(p)
				if m < 0 {
					err = protowire.ParseError(m)
					break
				}
				ints = append(ints, int64(v))
				p = p[m:]
			}
		case num == 7 && typ == protowire.VarintType:
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			ints = append(ints, int64(v))
		case num == 8 && typ == protowire.BytesType: // name
			var p []byte
			p, n = protowire.ConsumeBytes(b)
			x.Name = string(p)
		case num == 9 && typ == protowire.BytesType: // raw_data
			raw, n = protowire.ConsumeBytes(b)
			hasRaw = true
		case num == 14 && typ == protowire.VarintType: // data_location
			var v uint64
			v, n = protowire.ConsumeVarint(b)
			external = v == 1
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return x, fmt.Errorf("TensorProto: field %d: %w", num, protowire.ParseError(n))
		}
		if err != nil {
			return x, fmt.Errorf("TensorProto: field %d: %w", num, err)
		}
		b = b[n:]
	}
	if x.Shape == nil {
		x.Shape = []int64{}
	}
	if external {
		return x, fmt.Errorf("%w: %q has external data", ErrUnsupportedTensor, x.Name)
	}
	want := x.Len()
	switch dataType {
	case tensorFloat:
		if hasRaw {
			if len(raw) != 4*want {
				return x, fmt.Errorf("TensorProto %q: raw_data has %d bytes, shape %v needs %d", x.Name, len(raw), x.Shape, 4*want)
			}
			floats = make([]float32, want)
			for i := range floats {
				floats[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			}
		}
		if floats == nil {
			floats = []float32{}
		}
		if len(floats) != want {
			return x, fmt.Errorf("TensorProto %q: %d floats, shape %v needs %d", x.Name, len(floats), x.Shape, want)
		}
		x.Data = floats
	case tensorInt64:
		if hasRaw {
			if len(raw) != 8*want {
				return x, fmt.Errorf("TensorProto %q: raw_data has %d bytes, shape %v needs %d", x.Name, len(raw), x.Shape, 8*want)
			}
			ints = make([]int64, want)
			for i := range ints {
				ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			}
		}
		if ints == nil {
			ints = []int64{}
		}
		if len(ints) != want {
			return x, fmt.Errorf("TensorProto %q: %d int64s, shape %v needs %d", x.Name, len(ints), x.Shape, want)
		}
		x.Int64 = ints
	default:
		return x, fmt.Errorf("%w: %q has data_type %d (only FLOAT=1 and INT64=7 are handled)", ErrUnsupportedTensor, x.Name, dataType)
	}
	return x, nil
}

// ReadTensorProto reads and decodes a TensorProto file (e.g. input_0.pb).
func ReadTensorProto(path string) (ORTTensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return ORTTensor{}, err
	}
	x, err := ParseTensorProto(b)
	if err != nil {
		return x, fmt.Errorf("%s: %w", path, err)
	}
	return x, nil
}

// BackendDataSet is one test_data_set_N directory of a backend test.
type BackendDataSet struct {
	Dir     string
	Inputs  []ORTTensor // input_0.pb, input_1.pb, ... (named after the graph inputs)
	Outputs []ORTTensor // output_0.pb, ... (named after the graph outputs)
}

// BackendCase is one ONNX backend test, e.g. node/test_relu.
type BackendCase struct {
	Name      string // e.g. "test_relu"
	Dir       string
	ModelPath string
	DataSets  []BackendDataSet
}

// LoadBackendCase loads <BackendTestData>/<kind>/<name> (kind is "node" when
// name has no slash, e.g. "test_relu"; or pass "simple/test_gradient..." etc).
// It fails the test when the case is missing or a tensor cannot be decoded;
// use ParseTensorProto directly to tolerate unsupported element types.
func LoadBackendCase(t testing.TB, name string) BackendCase {
	t.Helper()
	root := BackendTestData(t)
	rel := name
	if filepath.Base(name) == name {
		rel = filepath.Join("node", name)
	}
	c := BackendCase{Name: filepath.Base(name), Dir: filepath.Join(root, rel)}
	c.ModelPath = filepath.Join(c.Dir, "model.onnx")
	if _, err := os.Stat(c.ModelPath); err != nil {
		t.Fatalf("backend test %s: %v", name, err)
	}
	sets, err := filepath.Glob(filepath.Join(c.Dir, "test_data_set_*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(sets)
	for _, dir := range sets {
		ds := BackendDataSet{Dir: dir}
		for _, kind := range []string{"input", "output"} {
			for i := 0; ; i++ {
				p := filepath.Join(dir, fmt.Sprintf("%s_%d.pb", kind, i))
				if _, err := os.Stat(p); err != nil {
					break
				}
				x, err := ReadTensorProto(p)
				if err != nil {
					t.Fatalf("backend test %s: %v", name, err)
				}
				if kind == "input" {
					ds.Inputs = append(ds.Inputs, x)
				} else {
					ds.Outputs = append(ds.Outputs, x)
				}
			}
		}
		c.DataSets = append(c.DataSets, ds)
	}
	return c
}

// CompareTensors returns nil when got and want have the same shape and type
// and every element satisfies |got-want| <= atol + rtol*|want| (NaNs must
// match; int64 must be equal); see Close. Otherwise it describes the first
// mismatches. The tolerances come in AllClose's order: atol, then rtol.
func CompareTensors(got, want ORTTensor, atol, rtol float64) error {
	if !slices.Equal(got.Shape, want.Shape) || got.IsInt64() != want.IsInt64() {
		return fmt.Errorf("%s: got %v, want %v", want.Name, got, want)
	}
	var err error
	if want.IsInt64() {
		err = equalInts(got.Int64, want.Int64)
	} else {
		err = Close(got.Data, want.Data, atol, rtol)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", want.Name, err)
	}
	return nil
}
