//go:build cgo

// The README's commands run once, in the cgo build: in a CGO_ENABLED=0 build
// the GEMM is gonum's, about 15x slower, and the Quickstart's 300 training
// steps would take most of the package's test timeout.

package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestReadmeQuickstart runs the README's commands as written, in a fresh
// folder: the fresh-machine command, every Quickstart line (`go run
// ./cmd/pixelgraph` is the test's build of the same package) and the
// install lines (with GOBIN pointing into the folder), and checks what the
// `tensor` and `run` lines produce.
func TestReadmeQuickstart(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model for 300 steps (about 30 s)")
	}
	// Not parallel: the training would compete with the package's parallel
	// tests, some of which (serve's drain) need a request done in time.
	bin := pixelgraphBinary(t)
	dir := t.TempDir()
	var cmds [][]string
	for _, sec := range []string{"On a fresh machine", "Quickstart"} {
		for _, l := range readmeBlock(t, sec, "sh") {
			if w := shellWords(t, l); len(w) > 3 && slices.Equal(w[:3], []string{"go", "run", "./cmd/pixelgraph"}) {
				cmds = append(cmds, w[3:])
			}
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("found %d pixelgraph commands in the README", len(cmds))
	}
	for _, args := range cmds {
		cmd := exec.Command(bin, args...)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pixelgraph %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if args[0] == "eval" {
			var r struct{ Images int }
			if err := json.Unmarshal(out, &r); err != nil || r.Images != 1000 {
				t.Errorf("eval --json printed %s", out)
			}
		}
	}
	if x := readTensor(t, filepath.Join(dir, "digits.pb")); !slices.Equal(x.Shape, []int{4, 1, 28, 28}) {
		t.Errorf("digits.pb is %v", x.Shape)
	}
	if y := readTensor(t, filepath.Join(dir, "out", "output_0.pb")); !slices.Equal(y.Shape, []int{4, 4, 28, 28}) {
		t.Errorf("out/output_0.pb is %v", y.Shape)
	}
	// The install lines, with GOBIN in the test's folder.
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	gobin := filepath.Join(dir, "bin")
	var installed bool
	for _, sec := range []string{"Quickstart"} {
		for _, l := range readmeBlock(t, sec, "sh") {
			w := shellWords(t, l)
			switch {
			case len(w) > 1 && w[0] == "go" && w[1] == "install":
				cmd := exec.Command(w[0], w[1:]...)
				cmd.Dir = root
				cmd.Env = append(os.Environ(), "GOBIN="+gobin)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%s: %v\n%s", l, err, out)
				}
				installed = true
			case installed && len(w) > 0 && w[0] == "pixelgraph":
				out, err := exec.Command(filepath.Join(gobin, "pixelgraph"), w[1:]...).CombinedOutput()
				if err != nil || !strings.Contains(string(out), "go: go1.") {
					t.Fatalf("installed %s: %v\n%s", l, err, out)
				}
			}
		}
	}
	if !installed {
		t.Error("README has no go install line")
	}
}
