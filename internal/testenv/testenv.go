// Package testenv is the tests' kit: the one closeness check, the shared
// small models, the one CPU clock, and the external tools that
// interoperability tests run against for real.
//
// Invariants:
//   - Closeness is one rule, |got−want| <= atol + rtol·|want| element by
//     element, NaN matching only NaN and an infinity only itself (Close,
//     AllClose, CloseTensor, CompareTensors); tolerances are always passed as
//     (atol, rtol), and every call site says why its figures.
//   - TinyConfig, SmallConfig and Q256Config are the shared test models; a
//     test that needs another size edits a copy.
//   - DocText is how tests read README and docs to check a stated figure
//     against the code's: white space normalized, so wrapping never matters.
//   - CPUTime is the process CPU clock the benchmarks and `pixelgraph bench`
//     read (internal/bench.CPUTime).
//   - External tools: ONNX Runtime (loaded through
//     github.com/yalue/onnxruntime_go), the python onnx checker
//     (/usr/bin/python3 with Debian's python3-onnx) and the ONNX backend test
//     data (Debian's libonnx-testdata), all installed by
//     scripts/install-test-deps.sh. When one is missing the test fails with a
//     message telling how to install it (Unavailable). A developer who cannot
//     install them may set PIXELGRAPH_NO_INTEROP=1 to skip those tests
//     instead; on CI (CI=true) they never skip. Unavailable is the only way a
//     test may skip for a missing tool or file.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/ortlib"
)

// Environment variables read by this package.
const (
	// EnvORTLib overrides the path of libonnxruntime.
	EnvORTLib = ortlib.EnvLib
	// EnvNoInterop set to 1 turns "missing tool" failures into skips
	// (developer opt-out; ignored when CI=true).
	EnvNoInterop = "PIXELGRAPH_NO_INTEROP"
	// EnvPython overrides the python interpreter (default /usr/bin/python3).
	EnvPython = "PIXELGRAPH_PYTHON"
)

// ORTLibRelPath is where scripts/install-test-deps.sh puts libonnxruntime,
// relative to the module root.
const ORTLibRelPath = ortlib.RelPath

// ORTNpmVersion is the onnxruntime-node version the install script installs.
const ORTNpmVersion = "1.30.0"

// DefaultPython is the interpreter that has Debian's python3-onnx.
const DefaultPython = "/usr/bin/python3"

// DefaultBackendTestData is where Debian's libonnx-testdata installs the ONNX
// backend test data.
const DefaultBackendTestData = "/usr/share/libonnx-testdata/data"

const installHint = "run scripts/install-test-deps.sh from the repository root (or run scripts/test.sh, which calls it)"

// IsCI reports whether the tests run on CI (env CI=true or CI=1).
func IsCI() bool {
	v := strings.ToLower(strings.TrimSpace(os.Getenv("CI")))
	return v == "true" || v == "1" || v == "yes"
}

// InteropOptOut reports whether the developer opted out of interop tests
// (PIXELGRAPH_NO_INTEROP=1). It is honoured only outside CI.
func InteropOptOut() bool {
	return strings.TrimSpace(os.Getenv(EnvNoInterop)) == "1"
}

// Unavailable ends the test because an external tool is missing: what names
// the tool, why tells what went wrong and install how to install it. On CI it
// always fails; outside CI it skips when PIXELGRAPH_NO_INTEROP=1 and fails
// otherwise.
func Unavailable(t testing.TB, what, why, install string) {
	t.Helper()
	switch {
	case IsCI():
		msg := fmt.Sprintf("%s is not available: %s\nInstall it: %s\nCI=true: interoperability tests never skip on CI", what, why, install)
		if InteropOptOut() {
			msg += fmt.Sprintf(" (%s=1 is set but ignored because CI=true)", EnvNoInterop)
		}
		t.Fatal(msg)
	case InteropOptOut():
		t.Skipf("skipping: %s is not available (%s) and %s=1 is set.\nInstall it: %s", what, why, EnvNoInterop, install)
	default:
		t.Fatalf("%s is not available: %s\nInstall it: %s\nDevelopers who cannot install it may set %s=1 to skip interoperability tests (never honoured on CI).",
			what, why, install, EnvNoInterop)
	}
}

// ModuleRoot returns the nearest directory at or above the working directory
// that holds a go.mod file (go test runs each package in its own directory).
func ModuleRoot() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for dir := wd; ; {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod found in %s or any parent directory", wd)
		}
		dir = parent
	}
}

// ORTLibrary returns the path of libonnxruntime as ortlib.Find finds it:
// $PIXELGRAPH_ORT_LIB if set, else .deps/ort/.../libonnxruntime.so.1 as
// installed by scripts/install-test-deps.sh, under the package's directory
// or a parent up to the module root. When it is missing the test fails (or
// skips, see Unavailable).
func ORTLibrary(t testing.TB) string {
	t.Helper()
	p, err := ortlib.Find()
	if err != nil {
		if !errors.Is(err, ortlib.ErrNotFound) {
			// An explicit but wrong path is a configuration error: never skip.
			t.Fatalf("ONNX Runtime library: %v", err)
		}
		Unavailable(t, "ONNX Runtime (libonnxruntime.so.1)", err.Error(),
			installHint+", or by hand: ONNXRUNTIME_NODE_INSTALL=skip npm install --prefix .deps/ort --ignore-scripts onnxruntime-node@"+ORTNpmVersion+
				" (or point "+EnvORTLib+" at a libonnxruntime.so)")
	}
	return p
}

// BackendTestData returns the root of the ONNX backend test data
// (/usr/share/libonnx-testdata/data, with node/<test>/model.onnx and
// node/<test>/test_data_set_N/{input,output}_K.pb).
func BackendTestData(t testing.TB) string {
	t.Helper()
	dir := DefaultBackendTestData
	if fi, err := os.Stat(filepath.Join(dir, "node")); err != nil || !fi.IsDir() {
		why := "directory " + filepath.Join(dir, "node") + " not found"
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			why = err.Error()
		}
		Unavailable(t, "ONNX backend test data (Debian package libonnx-testdata)", why,
			installHint+", or: apt-get install libonnx-testdata")
	}
	return dir
}
