package testenv

import (
	"testing"
)

// probeTorch checks once per interpreter that it can import torch.
func probeTorch(py string) (string, error) {
	return probeModule(py, "torch", "import torch; print(torch.__version__)")
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
