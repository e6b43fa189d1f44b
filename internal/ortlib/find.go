package ortlib

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// EnvLib names the environment variable that overrides the library's path.
const EnvLib = "PIXELGRAPH_ORT_LIB"

// RelPath is where scripts/install-test-deps.sh puts libonnxruntime,
// relative to the module root.
const RelPath = ".deps/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

// ErrNotFound is wrapped by Find's error when neither $PIXELGRAPH_ORT_LIB
// is set nor RelPath exists where it looks.
var ErrNotFound = errors.New("libonnxruntime not found")

// Check returns path if it names a regular file (or a link to one); what
// says where the path came from ("--ort", "$PIXELGRAPH_ORT_LIB") for the
// error.
func Check(path, what string) (string, error) {
	st, err := os.Stat(path)
	switch {
	case err != nil:
		return "", fmt.Errorf("%s %s is not a file: %w", what, path, err)
	case st.IsDir():
		return "", fmt.Errorf("%s %s is not a file: it is a directory", what, path)
	}
	return path, nil
}

// Find returns the path of libonnxruntime: $PIXELGRAPH_ORT_LIB when set
// (an error if it names no file), else RelPath under the working directory
// or the first of its parents that has it, looking no higher than the
// module root. The error wraps ErrNotFound when the search found nothing.
func Find() (string, error) {
	if p := os.Getenv(EnvLib); p != "" {
		return Check(p, "$"+EnvLib)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("looking for libonnxruntime: %w", err)
	}
	dir := wd
	for {
		p := filepath.Join(dir, RelPath)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		if st, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !st.IsDir() {
			break // the module root
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	last := filepath.Join(dir, RelPath)
	if dir == wd {
		return "", fmt.Errorf("%w: %s is not there (and $%s is not set)", ErrNotFound, last, EnvLib)
	}
	return "", fmt.Errorf("%w: %s is not there, nor under %s or a directory between (and $%s is not set)", ErrNotFound, last, wd, EnvLib)
}
