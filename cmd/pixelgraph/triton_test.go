package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
)

// TestExportTriton: --triton DIR alone writes the repository entry; its
// model decodes to the configuration asked for; -o and --triton together
// write the same model twice.
func TestExportTriton(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	args := []string{"export", "--triton", dir, "--triton-name", "digits", "--filters", "16", "--hidden", "8", "--blocks", "2", "--levels", "8"}
	code, _, stderr := pg(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	config, err := os.ReadFile(filepath.Join(dir, "digits", "config.pbtxt"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`name: "digits"`, `backend: "onnxruntime"`, "max_batch_size: 64", "dims: [ 8, 28, 28 ]", "dynamic_batching"} {
		if !strings.Contains(string(config), want) {
			t.Errorf("config.pbtxt lacks %q:\n%s", want, config)
		}
	}
	model := filepath.Join(dir, "digits", "1", "model.onnx")
	g, err := export.DecodeFile(model, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Config == nil || g.Config.Levels != 8 || g.Config.Blocks != 2 {
		t.Errorf("model config %+v", g.Config)
	}
	out := filepath.Join(dir, "m.onnx")
	if code, _, stderr := pg(t, append(args, "-o", out)...); code != 0 {
		t.Fatal(stderr)
	}
	a, _ := os.ReadFile(out)
	b, _ := os.ReadFile(model)
	if string(a) != string(b) {
		t.Error("-o and --triton wrote different models")
	}
	if code, _, stderr := pg(t, "export", "--triton", dir, "--triton-name", "a/b"); code != 1 || !strings.Contains(stderr, "plain folder name") {
		t.Errorf("--triton-name a/b: exit %d, %s", code, stderr)
	}
}
