package npy

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Magic starts every .npy file.
const Magic = "\x93NUMPY"

// IsNPY reports whether b starts like a .npy file.
func IsNPY(b []byte) bool { return bytes.HasPrefix(b, []byte(Magic)) }

// descrs maps graph dtypes to what Write writes.
var descrs = map[graph.DType]string{graph.Float32: "<f4", graph.Float64: "<f8", graph.Int64: "<i8"}

// Write encodes t as a version 1.0 .npy file.
func Write(w io.Writer, t *graph.Tensor) error {
	descr, ok := descrs[t.DType]
	if !ok {
		return fmt.Errorf("npy: writing %v tensors is not supported (float32, float64, int64)", t.DType)
	}
	if err := t.Check(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	dims := make([]string, len(t.Shape))
	for i, d := range t.Shape {
		dims[i] = strconv.Itoa(d)
	}
	shape := strings.Join(dims, ", ")
	if len(dims) == 1 {
		shape += ","
	}
	hdr := fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shape)
	// magic(6) + version(2) + length(2) + header + padding + '\n' ≡ 0 mod 64
	pad := 63 - (len(Magic)+4+len(hdr))%64
	hdr += strings.Repeat(" ", pad) + "\n"
	var buf bytes.Buffer
	buf.WriteString(Magic)
	buf.Write([]byte{1, 0})
	binary.Write(&buf, binary.LittleEndian, uint16(len(hdr)))
	buf.WriteString(hdr)
	switch t.DType {
	case graph.Float32:
		for _, x := range t.F32 {
			binary.Write(&buf, binary.LittleEndian, math.Float32bits(x))
		}
	case graph.Float64:
		for _, x := range t.F64 {
			binary.Write(&buf, binary.LittleEndian, math.Float64bits(x))
		}
	case graph.Int64:
		binary.Write(&buf, binary.LittleEndian, t.I64)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// The three header fields; numpy writes them in this order but any order
// is read.
var (
	reDescr   = regexp.MustCompile(`['"]descr['"]\s*:\s*['"]([^'"]*)['"]`)
	reFortran = regexp.MustCompile(`['"]fortran_order['"]\s*:\s*(True|False)`)
	reShape   = regexp.MustCompile(`['"]shape['"]\s*:\s*\(([^)]*)\)`)
)

// element describes a dtype Read accepts.
type element struct {
	dt   graph.DType
	size int
}

var elements = map[string]element{
	"f4": {graph.Float32, 4}, "f8": {graph.Float64, 8}, "i8": {graph.Int64, 8}, "i4": {graph.Int32, 4},
	"i2": {graph.Int16, 2}, "i1": {graph.Int8, 1}, "u1": {graph.Uint8, 1}, "b1": {graph.Bool, 1},
}

// Read decodes a whole .npy file held in b.
func Read(b []byte) (*graph.Tensor, error) {
	bad := func(format string, args ...any) error { return fmt.Errorf("npy: "+format, args...) }
	if !IsNPY(b) || len(b) < len(Magic)+4 {
		return nil, bad("not a .npy file (no %q magic)", Magic)
	}
	major := b[len(Magic)]
	var hlen, start int
	switch major {
	case 1:
		hlen, start = int(binary.LittleEndian.Uint16(b[8:])), 10
	case 2, 3:
		if len(b) < 12 {
			return nil, bad("short header")
		}
		n := binary.LittleEndian.Uint32(b[8:])
		if n > 1<<20 {
			return nil, bad("header of %d bytes", n)
		}
		hlen, start = int(n), 12
	default:
		return nil, bad("format version %d.%d is not supported (1.0 to 3.0)", major, b[len(Magic)+1])
	}
	if start+hlen > len(b) {
		return nil, bad("header of %d bytes, file of %d", hlen, len(b))
	}
	hdr := string(b[start : start+hlen])
	m := reDescr.FindStringSubmatch(hdr)
	if m == nil {
		return nil, bad("header has no 'descr': %q", hdr)
	}
	descr := m[1]
	order, code := descr[:min(1, len(descr))], descr[min(1, len(descr)):]
	el, ok := elements[code]
	if !ok || !(order == "<" || order == "=" || order == "|" && el.size == 1) {
		return nil, bad("header field 'descr': dtype %q is not supported (little-endian f4 f8 i8 i4 i2 i1 u1 b1)", descr)
	}
	if m := reFortran.FindStringSubmatch(hdr); m == nil || m[1] != "False" {
		return nil, bad("header field 'fortran_order': only C-order arrays are supported")
	}
	m = reShape.FindStringSubmatch(hdr)
	if m == nil {
		return nil, bad("header has no 'shape': %q", hdr)
	}
	shape := []int{}
	n := int64(1)
	for _, f := range strings.Split(m[1], ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		d, err := strconv.ParseInt(strings.TrimSuffix(f, "L"), 10, 64)
		if err != nil || d < 0 || d > math.MaxInt32 {
			return nil, bad("header field 'shape': bad dimension %q", f)
		}
		shape = append(shape, int(d))
		if n *= d; n > math.MaxInt64/16 {
			return nil, bad("header field 'shape' %v is too large", shape)
		}
	}
	data := b[start+hlen:]
	if want := n * int64(el.size); int64(len(data)) != want {
		return nil, bad("shape %v of %s needs %d data bytes, the file holds %d", shape, descr, want, len(data))
	}
	t := &graph.Tensor{DType: el.dt, Shape: shape}
	switch el.dt {
	case graph.Float32:
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[4*i:]))
		}
	case graph.Float64:
		t.F64 = make([]float64, n)
		for i := range t.F64 {
			t.F64[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
		}
	default:
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			switch el.size {
			case 8:
				t.I64[i] = int64(binary.LittleEndian.Uint64(data[8*i:]))
			case 4:
				t.I64[i] = int64(int32(binary.LittleEndian.Uint32(data[4*i:])))
			case 2:
				t.I64[i] = int64(int16(binary.LittleEndian.Uint16(data[2*i:])))
			case 1:
				if el.dt == graph.Int8 {
					t.I64[i] = int64(int8(data[i]))
				} else {
					t.I64[i] = int64(data[i])
				}
			}
		}
	}
	return t, nil
}
