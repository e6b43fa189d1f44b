package export

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// external reads the nbytes of an EXTERNAL tensor. Keys: location (required,
// relative to DecodeOptions.Dir), offset and length (decimal bytes; length
// defaults to the rest of the file), checksum (accepted, not verified: ONNX
// defines it loosely and its own tools neither write nor check it). Any
// other key is an error. The location must stay inside the folder: absolute
// paths and ".." segments are refused, and the file is opened through an
// os.Root, so a symlink pointing outside is refused too. Offsets and
// lengths are checked against the file size before the buffer is allocated.
func (d *decoder) external(tp *onnxpb.TensorProto, w Where, nbytes int64) ([]byte, error) {
	w.Field = "external_data"
	loc, offset, length := "", int64(0), int64(-1)
	seen := map[string]bool{}
	for _, kv := range tp.GetExternalData() {
		k, v := kv.GetKey(), kv.GetValue()
		if seen[k] {
			return nil, formatErr(w, "external_data key %q is given twice", k)
		}
		seen[k] = true
		switch k {
		case "location":
			loc = v
		case "offset", "length":
			x, err := strconv.ParseInt(v, 10, 64)
			if err != nil || x < 0 {
				return nil, formatErr(w, "external_data %s %q is not a byte count", k, v)
			}
			if k == "offset" {
				offset = x
			} else {
				length = x
			}
		case "checksum":
		default:
			return nil, formatErr(w, "unknown external_data key %q", k)
		}
	}
	if err := checkLocation(loc); err != nil {
		return nil, &FormatError{Where: w, Msg: "external data location refused", Err: err}
	}
	root, err := d.root(w)
	if err != nil {
		return nil, err
	}
	f, err := root.Open(loc)
	if err != nil {
		return nil, &FormatError{Where: w, Msg: fmt.Sprintf("cannot open external data %q", loc), Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, formatErr(w, "external data %q is not a regular file", loc)
	}
	size := st.Size()
	if offset > size {
		return nil, formatErr(w, "external data offset %d is past the end of %q (%d bytes)", offset, loc, size)
	}
	if length < 0 {
		length = size - offset
	}
	if length != nbytes {
		return nil, formatErr(w, "external data length %d, but the tensor's dims need %d bytes", length, nbytes)
	}
	if length > size-offset {
		return nil, formatErr(w, "external data [%d, +%d) runs past the end of %q (%d bytes)", offset, length, loc, size)
	}
	if err := d.charge(nbytes, tp, w); err != nil {
		return nil, err
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil && !(errors.Is(err, io.EOF) && length == 0) {
		return nil, fmt.Errorf("export: decode: read external data %q: %w", loc, err)
	}
	return buf, nil
}

// checkLocation refuses locations that leave the model's folder lexically:
// empty, absolute (also Windows drive or UNC forms) or with a ".." segment.
func checkLocation(loc string) error {
	if loc == "" {
		return errors.New("empty location")
	}
	if filepath.IsAbs(loc) || strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, `\`) ||
		(len(loc) >= 2 && loc[1] == ':') {
		return fmt.Errorf("location %q is absolute; it must be relative to the model's folder", loc)
	}
	for _, seg := range strings.FieldsFunc(loc, func(r rune) bool { return r == '/' || r == '\\' }) {
		if seg == ".." {
			return fmt.Errorf("location %q leaves the model's folder (..)", loc)
		}
	}
	if !fs.ValidPath(filepath.ToSlash(filepath.Clean(loc))) {
		return fmt.Errorf("location %q is not a valid relative path", loc)
	}
	return nil
}

// root opens DecodeOptions.Dir once per decode.
func (d *decoder) root(w Where) (*os.Root, error) {
	if d.ext != nil {
		return d.ext, nil
	}
	dir := d.opts.dir()
	if dir == "" {
		return nil, unsupportedErr(w, "tensor has external data but no folder was given (use DecodeFile or DecodeOptions.Dir)")
	}
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("export: decode: external data folder: %w", err)
	}
	d.ext = r
	return r, nil
}
