package testenv

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"
)

// torchCache holds probeTorch's answer per interpreter (under pythonMu).
var torchCache = map[string]pythonProbe{}

// probeTorch checks once per interpreter that it can import torch.
func probeTorch(py string) (string, error) {
	pythonMu.Lock()
	defer pythonMu.Unlock()
	if p, ok := torchCache[py]; ok {
		return p.version, p.err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(py, "-c", "import torch; print(torch.__version__)")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	var p pythonProbe
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
			msg = msg[i+1:] // the exception, not the traceback
		}
		p.err = fmt.Errorf("%s -c 'import torch' failed: %v: %s", py, err, msg)
	} else {
		p.version = strings.TrimSpace(stdout.String())
	}
	torchCache[py] = p
	return p.version, p.err
}

// Torch returns the python interpreter that has torch (/usr/bin/python3
// with Debian's python3-torch; $PIXELGRAPH_PYTHON overrides it) after
// checking that `import torch` works; when it does not, the test ends
// through Unavailable (on CI it fails).
func Torch(t testing.TB) string {
	t.Helper()
	py := pythonPath()
	if _, err := probeTorch(py); err != nil {
		Unavailable(t, "PyTorch ("+py+")", err.Error(), installHint+", or: apt-get install python3-torch")
	}
	return py
}

// TorchVersion returns torch's version ("1.13.0a0"), ending the test like
// Torch when it cannot be imported.
func TorchVersion(t testing.TB) string {
	t.Helper()
	v, _ := probeTorch(Torch(t))
	return v
}
