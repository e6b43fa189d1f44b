package ortlib

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFind lays out a tree
//
//	top/.deps/...           a library above the module root: never used
//	top/mod/go.mod          the module root
//	top/mod/a/.deps/...     a library in a subdirectory
//	top/mod/a/b/            a directory below it
//
// and looks from several working directories.
func TestFind(t *testing.T) {
	top := t.TempDir()
	mod := filepath.Join(top, "mod")
	touch := func(p string) string {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	touch(filepath.Join(top, RelPath))
	touch(filepath.Join(mod, "go.mod"))
	inA := touch(filepath.Join(mod, "a", RelPath))
	if err := os.MkdirAll(filepath.Join(mod, "a", "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(mod, "c"), 0o755); err != nil {
		t.Fatal(err)
	}
	envLib := touch(filepath.Join(top, "elsewhere", "libonnxruntime.so"))

	for _, c := range []struct {
		name, wd, env string
		want          string // the path found, or "" for an error
		notFound      bool   // the error wraps ErrNotFound
		msg           string // the error names this
	}{
		{name: "in the working directory", wd: "mod/a", want: inA},
		{name: "in a parent", wd: "mod/a/b", want: inA},
		{name: "not above the module root", wd: "mod/c", notFound: true, msg: filepath.Join(mod, RelPath)},
		{name: "from the module root", wd: "mod", notFound: true, msg: filepath.Join(mod, RelPath) + " is not there (and $" + EnvLib},
		{name: "the environment wins", wd: "mod/a", env: envLib, want: envLib},
		{name: "a wrong environment is not 'not found'", wd: "mod/a", env: filepath.Join(top, "nope.so"), msg: "$" + EnvLib + " " + filepath.Join(top, "nope.so") + " is not a file"},
		{name: "a directory is not a library", wd: "mod", env: top, msg: "it is a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Chdir(filepath.Join(top, c.wd))
			t.Setenv(EnvLib, c.env)
			got, err := Find()
			if c.want != "" {
				if err != nil || got != c.want {
					t.Fatalf("Find() = %q, %v; want %q", got, err, c.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("Find() = %q, want an error", got)
			}
			if errors.Is(err, ErrNotFound) != c.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !c.notFound, c.notFound)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q does not name %q", err, c.msg)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "lib.so")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path, msg string
	}{
		{f, ""},
		{dir, "--ort " + dir + " is not a file: it is a directory"},
		{filepath.Join(dir, "none.so"), "--ort " + filepath.Join(dir, "none.so") + " is not a file"},
	} {
		got, err := Check(c.path, "--ort")
		switch {
		case c.msg == "" && (err != nil || got != c.path):
			t.Errorf("Check(%q) = %q, %v", c.path, got, err)
		case c.msg != "" && (err == nil || !strings.Contains(err.Error(), c.msg) || errors.Is(err, ErrNotFound)):
			t.Errorf("Check(%q) error %v, want one naming %q (and not ErrNotFound)", c.path, err, c.msg)
		}
	}
}
