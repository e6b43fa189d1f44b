package npy

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		t    *graph.Tensor
	}{
		{"float32 NCHW", graph.NewFloat32([]int{2, 1, 3, 3}, []float32{0, 1, 2, 3, 4, 5, 6, 7, 8, -1, -2, 0.5, 1e-30, 3e38, 9, 10, 11, 12})},
		{"float64 vector", &graph.Tensor{DType: graph.Float64, Shape: []int{3}, F64: []float64{1.5, -2, 1e300}}},
		{"int64 scalar", graph.NewInt64([]int{}, []int64{-7})},
		{"empty", graph.NewFloat32([]int{0, 4}, nil)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a, b bytes.Buffer
			if err := Write(&a, tc.t); err != nil {
				t.Fatal(err)
			}
			Write(&b, tc.t)
			if !bytes.Equal(a.Bytes(), b.Bytes()) {
				t.Fatal("two encodings differ")
			}
			if hdr := 10 + int(binary.LittleEndian.Uint16(a.Bytes()[8:])); hdr%64 != 0 || a.Bytes()[hdr-1] != '\n' {
				t.Errorf("header ends at %d, want a multiple of 64 ending in a newline", hdr)
			}
			got, err := Read(a.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			if err := testenv.CloseTensor(got, tc.t, 0, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
	if err := Write(&bytes.Buffer{}, &graph.Tensor{DType: graph.Int32, Shape: []int{1}, I64: []int64{1}}); err == nil {
		t.Error("writing int32: no error")
	}
}

// file builds a .npy file: version, header text, data bytes.
func file(major byte, hdr string, data []byte) []byte {
	var b bytes.Buffer
	b.WriteString(Magic)
	b.Write([]byte{major, 0})
	if major == 1 {
		binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	} else {
		binary.Write(&b, binary.LittleEndian, uint32(len(hdr)))
	}
	b.WriteString(hdr)
	b.Write(data)
	return b.Bytes()
}

func TestReadErrors(t *testing.T) {
	t.Parallel()
	h := func(descr, fortran, shape string) string {
		return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': (" + shape + "), }\n"
	}
	four := make([]byte, 16)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"not npy", []byte("PK\x03\x04"), "not a .npy file"},
		{"version 4", file(4, h("<f4", "False", "4,"), four), "format version 4.0"},
		{"header past the end", file(1, h("<f4", "False", "4,"), four)[:20], "header of"},
		{"big-endian", file(1, h(">f4", "False", "4,"), four), "'descr': dtype \">f4\" is not supported"},
		{"complex", file(1, h("<c8", "False", "2,"), four), "dtype \"<c8\""},
		{"fortran", file(1, h("<f4", "True", "4,"), four), "'fortran_order'"},
		{"no shape", file(1, "{'descr': '<f4', 'fortran_order': False}\n", four), "no 'shape'"},
		{"bad dim", file(1, h("<f4", "False", "x,"), four), "bad dimension \"x\""},
		{"negative dim", file(1, h("<f4", "False", "-4,"), four), "bad dimension"},
		{"short data", file(1, h("<f4", "False", "5,"), four), "shape [5] of <f4 needs 20 data bytes, the file holds 16"},
		{"huge shape", file(1, h("<f4", "False", "2000000000, 2000000000, 2000000000"), four), "too large"},
	} {
		if _, err := Read(c.b); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
	// Versions 2.0 and 3.0 have a 4-byte header length; '=' is native order.
	for _, major := range []byte{2, 3} {
		got, err := Read(file(major, h("=i4", "False", "2, 2"), []byte{1, 0, 0, 0, 255, 255, 255, 255, 3, 0, 0, 0, 4, 0, 0, 0}))
		if err != nil || got.DType != graph.Int32 || got.I64[1] != -1 || got.Shape[1] != 2 {
			t.Errorf("version %d: %v %v", major, got, err)
		}
	}
}

// TestNumPy: numpy.save's files read as the values numpy wrote, and numpy
// loads ours; a float32 array is byte for byte what numpy.save writes.
// Needs /usr/bin/python3 with numpy (Debian's python3-onnx depends on it).
func TestNumPy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const script = `
import sys, numpy as np
d = sys.argv[1]
base = np.array([[0, 1, -2], [3, 127, -128]])
for dt in ['<f4', '<f8', '<i8', '<i4', '<i2', '|i1', '|u1', '|b1']:
    a = base.astype(dt) if dt != '|u1' else np.abs(base).astype(dt)
    np.save(f"{d}/py_{dt[1:]}.npy", a)
np.save(f"{d}/py_nchw.npy", (np.arange(18, dtype='<f4') / 7).reshape(2, 1, 3, 3))
ours = np.load(f"{d}/go.npy")
assert ours.dtype == np.float32 and ours.shape == (2, 1, 3, 3), (ours.dtype, ours.shape)
assert (ours == (np.arange(18, dtype='<f4') / 7).reshape(2, 1, 3, 3)).all()
`
	x := graph.NewFloat32([]int{2, 1, 3, 3}, nil)
	for i := range x.F32 {
		x.F32[i] = float32(i) / 7
	}
	var buf bytes.Buffer
	if err := Write(&buf, x); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "go.npy"), buf.Bytes(), 0o644)
	if out, err := testenv.RunPython(t, script, dir); err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	py, _ := os.ReadFile(filepath.Join(dir, "py_nchw.npy"))
	if !bytes.Equal(py, buf.Bytes()) {
		t.Errorf("numpy.save wrote %d bytes, Write %d: they differ", len(py), buf.Len())
	}
	for _, c := range []struct {
		file string
		dt   graph.DType
	}{{"f4", graph.Float32}, {"f8", graph.Float64}, {"i8", graph.Int64}, {"i4", graph.Int32}, {"i2", graph.Int16}, {"i1", graph.Int8}, {"u1", graph.Uint8}, {"b1", graph.Bool}} {
		b, _ := os.ReadFile(filepath.Join(dir, "py_"+c.file+".npy"))
		got, err := Read(b)
		if err != nil {
			t.Errorf("%s: %v", c.file, err)
			continue
		}
		want := []float64{0, 1, -2, 3, 127, -128}
		switch c.file {
		case "u1":
			want = []float64{0, 1, 2, 3, 127, 128}
		case "b1":
			want = []float64{0, 1, 1, 1, 1, 1}
		}
		var vals []float64
		for i := 0; i < 6; i++ {
			switch {
			case got.F32 != nil:
				vals = append(vals, float64(got.F32[i]))
			case got.F64 != nil:
				vals = append(vals, got.F64[i])
			default:
				vals = append(vals, float64(got.I64[i]))
			}
		}
		if got.DType != c.dt || len(got.Shape) != 2 || got.Shape[0] != 2 || got.Shape[1] != 3 {
			t.Errorf("%s: %v%v, want %v[2 3]", c.file, got.DType, got.Shape, c.dt)
		}
		testenv.AllClose(t, vals, want, 0, 0, "%s values", c.file)
	}
}
