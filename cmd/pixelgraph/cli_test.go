package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// pg runs one command line in-process and returns exit code, stdout, stderr.
func pg(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), &env{stdout: &out, stderr: &errb}, args)
	return code, out.String(), errb.String()
}

func TestExportMatchesLibrary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := filepath.Join(dir, "small.onnx")
	code, _, stderr := pg(t, "export", "-o", f, "--filters", "32", "--hidden", "16", "--blocks", "3", "--levels", "256")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	g, err := graph.PixelCNN(testenv.Q256Config())
	if err != nil {
		t.Fatal(err)
	}
	want, err := export.Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("CLI output differs from export.Marshal of the same config")
	}
	// Exporting twice gives identical bytes.
	f2 := filepath.Join(dir, "again.onnx")
	if code, _, stderr := pg(t, "export", "-o", f2, "--filters", "32", "--hidden", "16", "--blocks", "3", "--levels", "256"); code != 0 {
		t.Fatal(stderr)
	}
	again, _ := os.ReadFile(f2)
	if !bytes.Equal(got, again) {
		t.Fatal("two exports differ")
	}
}

func TestExportUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.onnx")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"export", "-o", out, "--levels", "1"}, 2, "--levels"},
		{[]string{"export", "-o", out, "--block-kernel", "4"}, 2, "--block-kernel: mask B needs an odd kernel, got 4"},
		{[]string{"export", "-o", out, "--first-kernel", "6"}, 2, "--first-kernel"},
		{[]string{"export", "-o", out, "--filters", "0"}, 2, "--filters"},
		{[]string{"export", "-o", out, "--hidden", "-3"}, 2, "--hidden"},
		{[]string{"export", "-o", out, "--blocks", "0"}, 2, "--blocks"},
		{[]string{"export", "-o", out, "--head", "0"}, 2, "--head"},
		{[]string{"export", "-o", out, "--height", "0"}, 2, "--height"},
		{[]string{"export", "-o", out, "--opset", "12"}, 2, "--opset"},
		{[]string{"export", "-o", out, "--opset", "18"}, 2, "--opset"},
		{[]string{"export", "-o", out, "--levels", "x"}, 2, "-levels"},
		{[]string{"export", "-o", out, "--bogus"}, 2, "bogus"},
		{[]string{"export"}, 2, "-o FILE is required"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"export", "-o", filepath.Join(dir, "missing", "x.onnx")}, 1, "pixelgraph: export: write " + filepath.Join(dir, "missing", "x.onnx")},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed export left %s behind", out)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

func TestExportFailureKeepsOldFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.onnx")
	if err := os.WriteFile(out, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := pg(t, "export", "-o", out, "--levels", "1"); code != 2 {
		t.Fatal("bad flag accepted")
	}
	if b, _ := os.ReadFile(out); string(b) != "old" {
		t.Fatalf("existing file changed to %d bytes", len(b))
	}
}

func TestInspect(t *testing.T) {
	t.Parallel()
	f := filepath.Join(t.TempDir(), "small.onnx")
	if code, _, stderr := pg(t, "export", "-o", f, "--filters", "32", "--hidden", "16", "--blocks", "3", "--levels", "256"); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := pg(t, "inspect", f)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		"ir_version 8, producer \"pixelgraph\"",
		"opset ai.onnx 13",
		"pixels: float32[N,1,28,28]",
		"logits: float32[N,256,28,28]",
		"in/W: float32[32,1,7,7] mask A (24/49 taps live)",
		"res02/b/W: float32[16,16,3,3] mask B (5/9 taps live)",
		"ops: Add 3, Conv 13, Relu 11",
		"parameters: 65536",
		"receptive field (logits <- pixels): ",
		", causal",
		"engine: fast chain, ",
		"res02/add1               Add        fast     layer ",
		"head/logits              Conv       fast     layer ",
		`pixelgraph.masks = {"in/W":"A","res00/b/W":"B","res01/b/W":"B","res02/b/W":"B"}`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q", want)
		}
	}
	// A node outside the layer classes shows, with the path it sends the graph to.
	_, out, _ = pg(t, "inspect", filepath.Join("..", "..", "testdata", "torch", "opset13_softmax", "model.onnx"))
	for _, want := range []string{
		"then the generic interpreter for 1 node, from node /Softmax (Softmax): op outside the layer classes",
		"/logits/Conv             Conv       fast     layer ",
		"/Softmax                 Softmax    generic  op outside the layer classes",
		"receptive field (/logits/Conv_output_0 <- pixels): 57 pixels",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect of a torch file with a softmax lacks %q", want)
		}
	}
	if code, _, stderr := pg(t, "inspect", filepath.Join(t.TempDir(), "none.onnx")); code != 1 || !strings.Contains(stderr, "none.onnx") {
		t.Errorf("missing file: exit %d, %q", code, stderr)
	}
	if code, _, _ := pg(t, "inspect"); code != 2 {
		t.Errorf("no file: exit %d, want 2", code)
	}
}

func TestHelpListsFlags(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ cmd, flag string }{
		{"export", "-levels"}, {"train", "-resume"}, {"eval", "-limit"}, {"run", "-i"}, {"sample", "-method"},
	} {
		code, out, _ := pg(t, "help", c.cmd)
		if code != 0 || !strings.Contains(out, c.flag) {
			t.Errorf("help %s: exit %d, output lacks %s:\n%s", c.cmd, code, c.flag, out)
		}
	}
}

// TestTopLevel: bare invocation is a usage error on stderr; help, -h and
// --version answer on stdout.
func TestTopLevel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		args   []string
		code   int
		stdout string // "" means stdout must be empty
		stderr string
	}{
		{"no arguments", nil, 2, "", "usage: pixelgraph <command>"},
		{"help", []string{"help"}, 0, "exit codes: 0 success", ""},
		{"-h", []string{"-h"}, 0, "usage: pixelgraph <command>", ""},
		{"--help", []string{"--help"}, 0, "commands:", ""},
		{"help of a command", []string{"help", "audit"}, 0, "3 the file cannot be judged", ""},
		{"help of nothing", []string{"help", "frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{"version", []string{"version"}, 0, "go: go1.", ""},
		{"--version", []string{"--version"}, 0, "kernels: conv: ", ""},
		{"version with an argument", []string{"version", "x"}, 2, "", "unexpected argument"},
	} {
		code, stdout, stderr := pg(t, c.args...)
		if code != c.code || c.stdout == "" && stdout != "" || !strings.Contains(stdout, c.stdout) || !strings.Contains(stderr, c.stderr) {
			t.Errorf("%s: exit %d\nstdout %q\nstderr %q\nwant exit %d, stdout with %q, stderr with %q", c.name, code, stdout, stderr, c.code, c.stdout, c.stderr)
		}
	}
	_, stdout, _ := pg(t, "version")
	for _, want := range []string{"pixelgraph: github.com/pixelgraph/pixelgraph", "onnx files: producer \"pixelgraph\"", "\ncpu: "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("version lacks %q:\n%s", want, stdout)
		}
	}
}

// TestOutputsCheckedFirst: a bad output path fails at once, before the
// work, and commands that write several files write all or none.
func TestOutputsCheckedFirst(t *testing.T) {
	t.Parallel()
	model := writeModel(t, tinyConfig(4), nil)
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	os.WriteFile(file, nil, 0o644)
	ok := filepath.Join(dir, "ok.png")
	in := "../../testdata/torch/opset13_static/test_data_set_0/input_0.pb"
	torch := "../../testdata/torch/opset13_static/model.onnx"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"sample --raw into a missing folder", []string{"sample", "-m", model, "-o", ok, "--raw", filepath.Join(dir, "nodir", "r.pb")}, "write " + filepath.Join(dir, "nodir", "r.pb")},
		{"sample -o a folder", []string{"sample", "-m", model, "-o", dir}, "is a directory"},
		{"complete -o into a missing folder", []string{"complete", "-m", model, "-o", filepath.Join(dir, "nodir", "c.png")}, "write "},
		{"export -o a folder", []string{"export", "-o", dir}, "is a directory"},
		{"run -o below a file", []string{"run", "-m", torch, "-i", in, "-o", filepath.Join(file, "out")}, "-o: " + filepath.Join(file, "out") + ": " + file + " is not a folder"},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) || strings.Contains(stderr, "sampling") {
			t.Errorf("%s: exit %d, stderr %q; want exit 1 with %q, before any work", c.name, code, stderr, c.want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("failed commands left files: %v", entries)
	}
}
