package testenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

var (
	pythonMu    sync.Mutex
	pythonCache = map[[2]string]pythonProbe{} // by interpreter and module
)

type pythonProbe struct {
	version string
	err     error
}

func pythonPath() string {
	if p := os.Getenv(EnvPython); p != "" {
		return p
	}
	return DefaultPython
}

// probeModule checks once per interpreter and module that `py -c script`
// runs (script imports module and prints its version) and returns the
// version it printed.
func probeModule(py, module, script string) (string, error) {
	pythonMu.Lock()
	defer pythonMu.Unlock()
	key := [2]string{py, module}
	if p, ok := pythonCache[key]; ok {
		return p.version, p.err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", script)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var p pythonProbe
	if err := cmd.Run(); err != nil {
		p.err = fmt.Errorf("%s -c 'import %s' failed: %v\n%s", py, module, err, strings.TrimSpace(stderr.String()))
	} else {
		p.version = strings.TrimSpace(stdout.String())
	}
	pythonCache[key] = p
	return p.version, p.err
}

// probePython checks once per interpreter that it can import onnx.
func probePython(py string) (string, error) {
	return probeModule(py, "onnx", "import onnx, onnx.checker, onnx.numpy_helper; print(onnx.__version__)")
}

// PythonChecker returns the python interpreter that has the onnx package
// (/usr/bin/python3 — not a pyenv python3 that may come first on PATH; set
// PIXELGRAPH_PYTHON to override), after checking that `import onnx` works.
func PythonChecker(t testing.TB) string {
	t.Helper()
	py := pythonPath()
	if _, err := probePython(py); err != nil {
		Unavailable(t, "python onnx package ("+py+")", err.Error(),
			installHint+", or: apt-get install python3-onnx")
	}
	return py
}

// PythonONNXVersion returns the version of the python onnx package.
func PythonONNXVersion(t testing.TB) string {
	t.Helper()
	py := PythonChecker(t)
	v, _ := probePython(py)
	return v
}

// RunPython runs script with PythonChecker's interpreter (`python -c script
// args...`) and returns its stdout. The error includes python's stderr.
func RunPython(t testing.TB, script string, args ...string) ([]byte, error) {
	t.Helper()
	py := PythonChecker(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, append([]string{"-c", script}, args...)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.Bytes(), fmt.Errorf("python failed: %v\n%s", err, strings.TrimSpace(stderr.String()))
	}
	return stdout.Bytes(), nil
}

const checkScript = `
import sys, onnx
m = onnx.load(sys.argv[1])
onnx.checker.check_model(m, full_check=True)
`

// CheckModelError runs onnx.checker.check_model(onnx.load(path),
// full_check=True) and returns nil if it accepts the model, or an error
// holding python's message if it rejects it.
func CheckModelError(t testing.TB, path string) error {
	t.Helper()
	_, err := RunPython(t, checkScript, path)
	if err != nil {
		return fmt.Errorf("onnx.checker.check_model(%s, full_check=True) rejected the model: %w", path, err)
	}
	return nil
}

// CheckModel fails the test unless the python onnx checker (full_check=True)
// accepts the model file at path.
func CheckModel(t testing.TB, path string) {
	t.Helper()
	if err := CheckModelError(t, path); err != nil {
		t.Fatal(err)
	}
}

// CheckModelBytes writes model to a temporary file and runs CheckModel on it.
func CheckModelBytes(t testing.TB, model []byte) {
	t.Helper()
	f, err := os.CreateTemp("", "pixelgraph-check-*.onnx")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(model); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	CheckModel(t, f.Name())
}
