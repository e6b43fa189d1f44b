package kernels

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// goTool returns the go command that runs the tests.
func goTool(t *testing.T) string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("no go command on PATH nor in %s", p)
	}
	return p
}

// TestGeneratedAsmIsFresh runs every //go:generate command of this package
// in a copy of the generator (./asm, its own module: avo is fetched
// through the module proxy) and compares what they write with the
// committed assembly and stubs, byte for byte. After a change to the
// generator: go generate ./internal/kernels/
func TestGeneratedAsmIsFresh(t *testing.T) {
	tmp := t.TempDir()
	if err := os.CopyFS(filepath.Join(tmp, "asm"), os.DirFS("asm")); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(src), "\n") {
			if args, ok := strings.CutPrefix(line, "//go:generate "); ok {
				cmds = append(cmds, strings.Fields(args))
			}
		}
	}
	if len(cmds) != 5 {
		t.Fatalf("found %d //go:generate lines, want 5 (direct, gemm, pointwise, pack, gate)", len(cmds))
	}
	for _, args := range cmds {
		if args[0] != "go" {
			t.Fatalf("//go:generate %s: want a go command", strings.Join(args, " "))
		}
		cmd := exec.Command(goTool(t), args[1:]...)
		cmd.Dir = tmp
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
		}
		for i, a := range args {
			if (a == "-out" || a == "-stubs") && i+1 < len(args) {
				name := filepath.Base(args[i+1])
				got, err := os.ReadFile(filepath.Join(tmp, name))
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s is stale: go generate ./internal/kernels/ rewrites it", name)
				}
			}
		}
	}
}
