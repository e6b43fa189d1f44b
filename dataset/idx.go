package dataset

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"strings"
)

// IDX magic numbers: two zero bytes, the element type (0x08 = unsigned
// byte) and the number of dimensions.
const (
	magicImages = 0x00000803 // ubyte, 3 dims: count, rows, cols
	magicLabels = 0x00000801 // ubyte, 1 dim: count
)

// FormatError reports an IDX file that is not what it must be.
type FormatError struct {
	File string
	Msg  string
}

func (e *FormatError) Error() string { return fmt.Sprintf("%s: %s", e.File, e.Msg) }

// openMaybeGzip opens path, decompressing when the name ends in ".gz".
func openMaybeGzip(path string) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return bufio.NewReader(f), f.Close, nil
	}
	z, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		f.Close()
		return nil, nil, &FormatError{path, fmt.Sprintf("not gzip: %v", err)}
	}
	return z, func() error { z.Close(); return f.Close() }, nil
}

// readIDX reads an IDX file of unsigned bytes with the given magic; dims are
// the sizes from the header and data holds their product of bytes. Trailing
// bytes are an error.
func readIDX(path string, magic uint32) (dims []int, data []byte, err error) {
	r, closeFn, err := openMaybeGzip(path)
	if err != nil {
		return nil, nil, err
	}
	defer closeFn()
	var m uint32
	if err := binary.Read(r, binary.BigEndian, &m); err != nil {
		return nil, nil, &FormatError{path, "too short for an IDX header"}
	}
	if m != magic {
		return nil, nil, &FormatError{path, fmt.Sprintf("magic number %#08x, want %#08x", m, magic)}
	}
	n := int(magic & 0xff)
	dims = make([]int, n)
	size := 1
	for i := range dims {
		var d uint32
		if err := binary.Read(r, binary.BigEndian, &d); err != nil {
			return nil, nil, &FormatError{path, fmt.Sprintf("header ends before dimension %d", i)}
		}
		if d == 0 || d > 1<<24 {
			return nil, nil, &FormatError{path, fmt.Sprintf("dimension %d is %d", i, d)}
		}
		dims[i] = int(d)
		size *= int(d)
		if size > 1<<31 {
			return nil, nil, &FormatError{path, fmt.Sprintf("dimensions %v are too large", dims[:i+1])}
		}
	}
	data = make([]byte, size)
	if got, err := io.ReadFull(r, data); err != nil {
		return nil, nil, &FormatError{path, fmt.Sprintf("holds %d data bytes, header %v needs %d", got, dims, size)}
	}
	var one [1]byte
	if k, _ := io.ReadFull(r, one[:]); k != 0 {
		return nil, nil, &FormatError{path, fmt.Sprintf("has bytes after the %d that header %v describes", size, dims)}
	}
	return dims, data, nil
}

// ReadImages reads an IDX image file (magic 0x803): count × rows × cols bytes.
func ReadImages(path string) (*Images, error) {
	dims, data, err := readIDX(path, magicImages)
	if err != nil {
		return nil, err
	}
	return &Images{N: dims[0], H: dims[1], W: dims[2], Pix: data}, nil
}

// ReadLabels reads an IDX label file (magic 0x801), checking each label is a digit.
func ReadLabels(path string) ([]uint8, error) {
	_, data, err := readIDX(path, magicLabels)
	if err != nil {
		return nil, err
	}
	for i, l := range data {
		if l > 9 {
			return nil, &FormatError{path, fmt.Sprintf("label %d is %d, want 0..9", i, l)}
		}
	}
	return data, nil
}

// WriteIDX writes an IDX file of unsigned bytes (3 dims for images, 1 for
// labels) to w; the generator of the testdata slice uses it.
func WriteIDX(w io.Writer, dims []int, data []byte) error {
	magic := uint32(0x00000800 | len(dims))
	if err := binary.Write(w, binary.BigEndian, magic); err != nil {
		return err
	}
	size := 1
	for _, d := range dims {
		if err := binary.Write(w, binary.BigEndian, uint32(d)); err != nil {
			return err
		}
		size *= d
	}
	if size != len(data) {
		return fmt.Errorf("WriteIDX: %d bytes for dimensions %v", len(data), dims)
	}
	_, err := w.Write(data)
	return err
}
