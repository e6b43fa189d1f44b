package export

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// externalize moves every initializer of m into one data file (in order,
// each at an 8-aligned offset) and returns the file's bytes.
func externalize(m *onnxpb.ModelProto, location string) []byte {
	var data []byte
	for _, tp := range m.Graph.Initializer {
		for len(data)%8 != 0 {
			data = append(data, 0)
		}
		off := len(data)
		data = append(data, tp.RawData...)
		tp.ExternalData = []*onnxpb.StringStringEntryProto{
			{Key: proto.String("location"), Value: proto.String(location)},
			{Key: proto.String("offset"), Value: proto.String(strconv.Itoa(off))},
			{Key: proto.String("length"), Value: proto.String(strconv.Itoa(len(tp.RawData)))},
		}
		tp.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
		tp.RawData = nil
	}
	return data
}

func writeModel(t *testing.T, dir string, m *onnxpb.ModelProto) string {
	t.Helper()
	raw, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDecodeExternalData(t *testing.T) {
	t.Parallel()
	inline := smallProto(t)
	raw, _ := proto.Marshal(inline)
	want, err := Unmarshal(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		edit   func(tp *onnxpb.TensorProto, data []byte) []byte // edits the first initializer
		errSay string                                           // "" = must load
	}{
		{name: "as written"},
		{name: "in a subfolder", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData[0].Value = proto.String("sub/w.bin")
			return data
		}},
		{name: "checksum accepted", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("checksum"), Value: proto.String("00")})
			return data
		}},
		{name: "length mismatch", errSay: "length 1564", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData[2].Value = proto.String("1564")
			return data
		}},
		{name: "past the end", errSay: "past the end", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			return data[:100]
		}},
		{name: "offset past the end", errSay: "offset", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData[1].Value = proto.String("99999999")
			return data
		}},
		{name: "bad offset", errSay: "not a byte count", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData[1].Value = proto.String("-4")
			return data
		}},
		{name: "unknown key", errSay: `"basepath"`, edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData = append(tp.ExternalData, &onnxpb.StringStringEntryProto{Key: proto.String("basepath"), Value: proto.String("/")})
			return data
		}},
		{name: "missing file", errSay: "nope.bin", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData[0].Value = proto.String("nope.bin")
			return data
		}},
		{name: "no location", errSay: "empty location", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.ExternalData = tp.ExternalData[1:]
			return data
		}},
		{name: "inline data too", errSay: "inline data", edit: func(tp *onnxpb.TensorProto, data []byte) []byte {
			tp.FloatData = []float32{1}
			return data
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			m := proto.Clone(inline).(*onnxpb.ModelProto)
			data := externalize(m, "w.bin")
			first := m.Graph.Initializer[0]
			if c.edit != nil {
				data = c.edit(first, data)
			}
			dir := t.TempDir()
			for _, sub := range []string{"w.bin", "sub/w.bin"} {
				os.MkdirAll(filepath.Join(dir, filepath.Dir(sub)), 0o755)
				if err := os.WriteFile(filepath.Join(dir, sub), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			g, err := DecodeFile(writeModel(t, dir, m), nil)
			if c.errSay == "" {
				if err != nil {
					t.Fatal(err)
				}
				for i, v := range g.Inits {
					if !slices.Equal(v.Const.F32, want.Inits[i].Const.F32) || v.Mask != want.Inits[i].Mask {
						t.Errorf("%s differs from the inline model", v.Name)
					}
				}
				return
			}
			var fe *FormatError
			field := "external_data"
			if c.name == "inline data too" {
				field = "data_location"
			}
			if !errors.As(err, &fe) || fe.Tensor != first.GetName() || fe.Field != field {
				t.Fatalf("got %v, want FormatError on %s %s", err, first.GetName(), field)
			}
			if !strings.Contains(err.Error(), c.errSay) {
				t.Errorf("message lacks %q: %v", c.errSay, err)
			}
		})
	}
}

func TestDecodeExternalBudget(t *testing.T) {
	t.Parallel()
	m := smallProto(t)
	data := externalize(m, "w.bin")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "w.bin"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	var ue *UnsupportedError
	_, err := DecodeFile(writeModel(t, dir, m), &DecodeOptions{MaxBytes: 2000})
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "MaxBytes") {
		t.Errorf("got %v, want the MaxBytes limit", err)
	}
}
