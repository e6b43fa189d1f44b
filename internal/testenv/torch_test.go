package testenv

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestTorch(t *testing.T) {
	v := TorchVersion(t)
	t.Logf("torch %s from %s", v, Torch(t))
	if v == "" {
		t.Error("torch reported no version")
	}
}

// TestTorchMissing: an interpreter that cannot import torch ends the test
// through Unavailable: a failure naming the package to install, a skip
// only with the developer opt-out, and a failure on CI whatever it says.
func TestTorchMissing(t *testing.T) {
	t.Setenv(EnvPython, filepath.Join(t.TempDir(), "python3"))
	for _, c := range []struct {
		ci, optOut string
		wantSkip   bool
	}{{"", "", false}, {"", "1", true}, {"true", "1", false}} {
		t.Setenv("CI", c.ci)
		t.Setenv(EnvNoInterop, c.optOut)
		f := runFake(t, func(tb testing.TB) { Torch(tb) })
		if f.skipped != c.wantSkip || f.failed == c.wantSkip {
			t.Errorf("CI=%q NO_INTEROP=%q: skipped=%v failed=%v, want skip=%v; msg: %s", c.ci, c.optOut, f.skipped, f.failed, c.wantSkip, f.msg)
		}
		if !strings.Contains(f.msg, "python3-torch") || !strings.Contains(f.msg, "import torch") {
			t.Errorf("message does not say what failed and what to install:\n%s", f.msg)
		}
	}
}
