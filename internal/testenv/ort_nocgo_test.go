//go:build !cgo

package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Without cgo every ORT entry point follows the Unavailable policy: it fails
// saying a cgo build is needed, skips only with PIXELGRAPH_NO_INTEROP=1, and
// never skips on CI.
func TestORTWithoutCgo(t *testing.T) {
	model := filepath.Join(t.TempDir(), "m.onnx")
	if err := os.WriteFile(model, []byte("model"), 0o644); err != nil {
		t.Fatal(err)
	}
	entries := map[string]func(tb testing.TB){
		"InitORT":    func(tb testing.TB) { InitORT(tb) },
		"ORTVersion": func(tb testing.TB) { ORTVersion(tb) },
		"NewORTSession": func(tb testing.TB) {
			NewORTSession(tb, []byte("model"), ORTOptions{})
			tb.Fatal("NewORTSession returned")
		},
		"NewORTSessionFile": func(tb testing.TB) {
			NewORTSessionFile(tb, model, ORTOptions{})
			tb.Fatal("NewORTSessionFile returned")
		},
		"RunORT": func(tb testing.TB) {
			RunORT(tb, []byte("model"), nil)
			tb.Fatal("RunORT returned")
		},
	}
	for name, fn := range entries {
		t.Setenv("CI", "")
		t.Setenv(EnvNoInterop, "")
		f := runFake(t, fn)
		if !f.failed || !strings.Contains(f.msg, "CGO_ENABLED=0") || !strings.Contains(f.msg, "needs cgo") || !strings.Contains(f.msg, "PIXELGRAPH_NO_INTEROP=1") {
			t.Errorf("%s: want failure saying ORT needs a cgo build, got failed=%v msg=%s", name, f.failed, f.msg)
		}

		t.Setenv(EnvNoInterop, "1")
		if f := runFake(t, fn); !f.skipped || !strings.Contains(f.msg, "needs cgo") {
			t.Errorf("%s with PIXELGRAPH_NO_INTEROP=1: want skip, got failed=%v msg=%s", name, f.failed, f.msg)
		}

		t.Setenv("CI", "true")
		if f := runFake(t, fn); !f.failed || !strings.Contains(f.msg, "ignored because CI=true") {
			t.Errorf("%s on CI with PIXELGRAPH_NO_INTEROP=1: want failure, got failed=%v msg=%s", name, f.failed, f.msg)
		}
	}

	var s ORTSession
	if _, err := s.Run(); err == nil {
		t.Error("Run on a zero ORTSession succeeded")
	}
	if err := s.Close(); err != nil {
		t.Error(err)
	}
}
