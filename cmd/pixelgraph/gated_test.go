package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// gatedFile exports a small class-conditional Gated PixelCNN (28x28, 10
// classes) through the CLI and returns its path.
func gatedFile(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	f := filepath.Join(dir, "gated.onnx")
	args := append([]string{"export", "-o", f, "--arch", "gated", "--classes", "10", "--filters", "8", "--layers", "3", "--head", "16"}, extra...)
	if code, _, stderr := pg(t, args...); code != 0 {
		t.Fatalf("export exit %d: %s", code, stderr)
	}
	return f
}

// TestGatedCLI: export --arch gated writes the library's model; inspect
// shows both inputs, the fast path and no blind spot; audit holds the
// label and finds it causal; sample draws one grid row per class; eval
// uses the test labels (or a held class); complete conditions each digit
// on its own label; the error cases exit 2 with one line.
func TestGatedCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := gatedFile(t, dir)
	g, err := export.DecodeFile(f, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Config; c == nil || !c.Gated() || c.Classes != 10 || c.Layers != 3 || c.Filters != 8 {
		t.Fatalf("config %+v", g.Config)
	}

	code, out, stderr := pg(t, "inspect", f)
	if code != 0 {
		t.Fatalf("inspect exit %d: %s", code, stderr)
	}
	for _, want := range []string{"label: int64[N]", "blind spot 0, causal", "engine: fast chain", "embed g00/vcond/E[label]", "gate halves"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect does not say %q", want)
		}
	}

	code, out, stderr = pg(t, "audit", f, "--batch", "112", "-q", "--class", "7")
	if code != 0 || !strings.Contains(out, "causal\n") || !strings.Contains(out, "label=7") {
		t.Errorf("audit exit %d:\n%s%s", code, out, stderr)
	}

	grid := filepath.Join(dir, "classes.png")
	if code, _, stderr := pg(t, "sample", "-m", f, "--class", "0-9", "-n", "3", "-o", grid, "-q", "--scale", "1"); code != 0 {
		t.Fatalf("sample exit %d: %s", code, stderr)
	}
	r, err := os.Open(grid)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(r)
	r.Close()
	if err != nil {
		t.Fatal(err)
	}
	// 10 rows of 3 digits of 28 pixels, with the grid's 2-pixel gaps
	if b := img.Bounds(); b.Dy() < 10*28 || b.Dy() > 10*28+11*2 || b.Dx() < 3*28 || b.Dx() > 3*28+4*2 {
		t.Errorf("grid is %v; want 10 rows of 3 images", b)
	}

	code, labels, stderr := pg(t, "eval", "-m", f, "--limit", "20", "--json")
	if code != 0 {
		t.Fatalf("eval exit %d: %s", code, stderr)
	}
	code, held, stderr := pg(t, "eval", "-m", f, "--limit", "20", "--json", "--class", "3")
	if code != 0 || held == labels {
		t.Errorf("eval --class 3 exit %d (%s): %s; test labels: %s", code, stderr, held, labels)
	}
	if code, _, stderr := pg(t, "complete", "-m", f, "-n", "2", "--samples", "2", "-o", filepath.Join(dir, "c.png"), "-q"); code != 0 || !strings.Contains(stderr, "each digit's own label") {
		t.Errorf("complete exit %d: %s", code, stderr)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"sample", "-m", f, "-o", grid}, "the model is conditional on its input label (10 classes): give --class K"},
		{[]string{"sample", "-m", f, "-o", grid, "--class", "12"}, "--class 12: the model has 10 classes (0..9)"},
		{[]string{"sample", "-m", f, "-o", grid, "--class", "9-2"}, "--class must be a class K or a range A-B"},
		{[]string{"sample", "-m", f, "-o", grid, "--cond", "digit=3"}, "--cond digit: the model has no conditioning input digit: label"},
		{[]string{"sample", "-m", f, "-o", grid, "--cond", "label=10"}, "--cond label=10: the model has 10 classes"},
		{[]string{"eval", "-m", f, "--class", "0-9"}, "--class 0-9: give one class"},
		{[]string{"export", "-o", f, "--layers", "3"}, "--layers is a Gated PixelCNN flag (add --arch gated)"},
		{[]string{"export", "-o", f, "--arch", "gated", "--hidden", "3"}, "--hidden is a PixelCNN flag"},
		{[]string{"export", "-o", f, "--arch", "pixelcnn++"}, `--arch must be pixelcnn or gated, got "pixelcnn++"`},
		{[]string{"eval", "-m", f, "--dataset", "cifar"}, `--dataset: unknown dataset "cifar"`},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", c.args, code, stderr, c.want)
		}
	}
	// class on an unconditional model
	u := filepath.Join(dir, "u.onnx")
	if code, _, stderr := pg(t, "export", "-o", u, "--arch", "gated", "--filters", "8", "--layers", "2", "--head", "8"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := pg(t, "sample", "-m", u, "-o", grid, "--class", "1"); code != 2 || !strings.Contains(stderr, "--class needs a model with one conditioning input (it has 0") {
		t.Errorf("--class on an unconditional model: exit %d: %s", code, stderr)
	}
	// run: a label out of range is the Gather's one-line error
	x, lab := filepath.Join(dir, "x.npy"), filepath.Join(dir, "l.pb")
	if code, _, stderr := pg(t, "tensor", "-m", f, "-n", "2", "-o", x); code != 0 {
		t.Fatal(stderr)
	}
	b, err := export.MarshalTensor("label", graph.NewInt64([]int{2}, []int64{1, 10}))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(lab, b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = pg(t, "run", "-m", f, "-i", x, "-i", lab, "-o", filepath.Join(dir, "out"))
	if code != 1 || !strings.Contains(stderr, "index 10 is out of range [-10, 9]") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("run with label 10: exit %d: %q", code, stderr)
	}
}

// TestGatedTrainCLI: train --arch gated --classes 10 trains on MNIST's
// labels and writes a checkpoint that resumes.
func TestGatedTrainCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := filepath.Join(dir, "m.onnx")
	code, _, stderr := pg(t, "train", "-o", m, "--arch", "gated", "--classes", "10", "--filters", "8", "--layers", "2", "--head", "8",
		"--steps", "4", "--batch", "4", "--eval-limit", "8", "--data", "../../testdata/mnist", "-q")
	if code != 0 {
		t.Fatalf("train exit %d: %s", code, stderr)
	}
	g, err := export.DecodeFile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if g.Config == nil || g.Config.Classes != 10 || len(g.Inputs) != 2 {
		t.Fatalf("checkpoint config %+v, %d inputs", g.Config, len(g.Inputs))
	}
	if code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--steps", "2", "--data", "../../testdata/mnist", "--eval-limit", "8", "-q"); code != 0 {
		t.Fatalf("resume exit %d: %s", code, stderr)
	}
	if code, _, stderr := pg(t, "train", "-o", m, "--arch", "gated", "--classes", "5", "--steps", "1", "--data", "../../testdata/mnist", "-q"); code != 2 || !strings.Contains(stderr, "the model has 5 classes (--classes 5) but the dataset's labels reach 9") {
		t.Errorf("--classes 5 on MNIST: exit %d: %s", code, stderr)
	}
}

// TestFamilyCLI: the foreign family files (testdata/torch_family) through
// the CLI: `run` with one -i per input reproduces PyTorch's output within
// 1e-4; `inspect` describes them; `audit` holds the label and judges them
// (exit 0 causal, 1 for the leaky variants); `eval` (on the test labels,
// or --cond label=K) and `sample --cond label=K` work on the foreign gated
// files, logits or softmax alike.
func TestFamilyCLI(t *testing.T) {
	t.Parallel()
	root := "../../testdata/torch_family"
	tmp := t.TempDir()
	for _, name := range []string{"gated_opset13", "gated_opset17", "gated_leaky", "pixelcnnpp_opset13", "pixelcnnpp_opset17", "pixelcnnpp_leaky"} {
		dir := filepath.Join(root, name)
		model := filepath.Join(dir, "model.onnx")
		args := []string{"run", "-m", model, "-o", filepath.Join(tmp, name)}
		ins, _ := filepath.Glob(filepath.Join(dir, "test_data_set_0", "input_*.pb"))
		for _, in := range ins {
			args = append(args, "-i", in)
		}
		if code, _, stderr := pg(t, args...); code != 0 {
			t.Fatalf("%s: run exit %d: %s", name, code, stderr)
		}
		got := readTensor(t, filepath.Join(tmp, name, "output_0.pb"))
		want := readTensor(t, filepath.Join(dir, "test_data_set_0", "output_0.pb"))
		testenv.AllCloseTensor(t, got, want, 1e-4, 1e-4, "%s: run vs PyTorch", name)

		code, out, stderr := pg(t, "inspect", model)
		if code != 0 || !strings.Contains(out, "producer pytorch") || !strings.Contains(out, "receptive field") {
			t.Errorf("%s: inspect exit %d: %s", name, code, stderr)
		}
		wantCode := 0
		if strings.HasSuffix(name, "leaky") {
			wantCode = 1
		}
		if code, out, stderr := pg(t, "audit", model, "--batch", "64", "-q"); code != wantCode {
			t.Errorf("%s: audit exit %d, want %d:\n%s%s", name, code, wantCode, out, stderr)
		}
	}
	for _, name := range []string{"gated_opset13", "gated_opset17"} {
		model := filepath.Join(root, name, "model.onnx")
		code, labels, stderr := pg(t, "eval", "-m", model, "--limit", "16", "--json", "--data", "../../testdata/mnist")
		if code != 0 {
			t.Fatalf("%s: eval exit %d: %s", name, code, stderr)
		}
		code, held, stderr := pg(t, "eval", "-m", model, "--limit", "16", "--json", "--data", "../../testdata/mnist", "--cond", "label=3")
		if code != 0 || held == labels {
			t.Errorf("%s: eval --cond label=3 exit %d (%s): %s; with the test labels %s", name, code, stderr, held, labels)
		}
		code, _, stderr = pg(t, "sample", "-m", model, "--cond", "label=3", "-n", "4", "-o", filepath.Join(tmp, name+".png"), "-q")
		if code != 0 || !strings.Contains(stderr, "method cached") || !strings.Contains(stderr, "label=3") {
			t.Errorf("%s: sample exit %d: %s", name, code, stderr)
		}
	}
}
