package kernels

import (
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDefaultBuildNeedsNoOpenBLAS proves the default build links no
// OpenBLAS (issue 10): no package cmd/pixelgraph depends on names OpenBLAS
// in its cgo files or flags; the binary builds with a C compiler that
// fails when asked for anything OpenBLAS (header path, -lopenblas); and
// its ELF imports no libopenblas. The kernels run at the CPU's best level
// without cgo (TestDetect, also in the CGO_ENABLED=0 pass of
// scripts/test.sh).
func TestDefaultBuildNeedsNoOpenBLAS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/pixelgraph: skipped in -short")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	goCmd := goTool(t)
	// openblasDeps lists the packages of cmd/pixelgraph's build whose cgo
	// files or flags name OpenBLAS, built with tags.
	openblasDeps := func(tags string) []string {
		list := exec.Command(goCmd, "list", "-tags", tags, "-deps", "-f",
			"{{.ImportPath}} {{.CgoFiles}} {{.CgoLDFLAGS}} {{.CgoCFLAGS}}", "./cmd/pixelgraph")
		list.Dir = root
		out, err := list.CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		var deps []string
		for _, line := range strings.Split(string(out), "\n") {
			if strings.Contains(strings.ToLower(line), "openblas") {
				deps = append(deps, line)
			}
		}
		return deps
	}
	if deps := openblasDeps(""); len(deps) > 0 {
		t.Errorf("the default build of cmd/pixelgraph depends on OpenBLAS: %v", deps)
	}
	if deps := openblasDeps("openblas"); len(deps) == 0 { // the check can fail
		t.Errorf("with -tags openblas, go list finds no package naming OpenBLAS: the check above proves nothing")
	}

	cc, err := exec.LookPath("gcc")
	if err != nil {
		if cc, err = exec.LookPath("cc"); err != nil {
			t.Skip("no C compiler: the CGO_ENABLED=0 build is the default build here")
		}
	}
	tmp := t.TempDir()
	wrapper := filepath.Join(tmp, "cc")
	script := "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in *openblas*|*cblas*) echo \"cc asked for $a\" >&2; exit 97;; esac; done\nexec " + cc + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(tmp, "pixelgraph")
	build := func(tags string) ([]byte, error) {
		cmd := exec.Command(goCmd, "build", "-tags", tags, "-o", bin, "./cmd/pixelgraph")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1", "CC="+wrapper)
		return cmd.CombinedOutput()
	}
	if out, err := build("openblas"); err == nil { // the check can fail
		t.Errorf("with -tags openblas the build succeeded with a C compiler that refuses OpenBLAS:\n%s", out)
	}
	if out, err := build(""); err != nil {
		t.Fatalf("go build ./cmd/pixelgraph with a C compiler that refuses OpenBLAS: %v\n%s", err, out)
	}
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	libs, err := f.ImportedLibraries()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range libs {
		if strings.Contains(l, "openblas") || strings.Contains(l, "blas") {
			t.Errorf("pixelgraph imports %s", l)
		}
	}
	t.Logf("pixelgraph's dynamic libraries: %v", libs)
}
