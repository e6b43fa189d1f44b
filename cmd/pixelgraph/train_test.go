package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/train"
)

var tinyModel = []string{"--filters", "8", "--hidden", "4", "--blocks", "1", "--head", "8", "--data", "../../testdata/mnist"}

func TestTrainResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := filepath.Join(dir, "m.onnx")
	plot := filepath.Join(dir, "loss.png")
	args := append([]string{"train", "-o", m, "--steps", "4", "--batch", "8", "--plot", plot}, tinyModel...)
	code, _, stderr := pg(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "epoch 1 step 4: train ") || !strings.Contains(stderr, "test ") {
		t.Errorf("progress line missing: %q", stderr)
	}
	for _, f := range []string{m, m + ".adam", plot} {
		if fi, err := os.Stat(f); err != nil || fi.Size() == 0 {
			t.Fatalf("%s: %v", f, err)
		}
	}
	g, err := export.DecodeFile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := graph.CheckMasks(g); err != nil {
		t.Fatal(err)
	}
	if s, _ := getMeta(g, metaTrainStep); s != "4" {
		t.Fatalf("step metadata %q", s)
	}
	// Resume for 3 more steps; the config comes from the file.
	code, _, stderr = pg(t, "train", "-o", m, "--resume", m, "--steps", "3", "--batch", "8", "--data", "../../testdata/mnist", "-q")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	g, err = export.DecodeFile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := getMeta(g, metaTrainStep); s != "7" || g.Config.Filters != 8 {
		t.Fatalf("after resume: step %q, filters %d", s, g.Config.Filters)
	}
	// Changing the model of a resumed file is a usage error.
	if code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--filters", "16", "--data", "../../testdata/mnist"); code != 2 || !strings.Contains(stderr, "--filters") {
		t.Errorf("resume with --filters: exit %d, %q", code, stderr)
	}
	// A state file from another step is refused.
	other := filepath.Join(dir, "other.onnx")
	if code, _, stderr := pg(t, append([]string{"train", "-o", other, "--steps", "2", "--batch", "8", "-q"}, tinyModel...)...); code != 0 {
		t.Fatal(stderr)
	}
	b, _ := os.ReadFile(other + ".adam")
	os.WriteFile(m+".adam", b, 0o644)
	if code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--steps", "1", "--data", "../../testdata/mnist"); code != 1 || !strings.Contains(stderr, "not from the same checkpoint") {
		t.Errorf("mismatched state: exit %d, %q", code, stderr)
	}
}

func TestTrainUsage(t *testing.T) {
	t.Parallel()
	o := filepath.Join(t.TempDir(), "x.onnx")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train"}, 2, "-o MODEL.onnx is required"},
		{[]string{"train", "-o", o, "--batch", "0"}, 2, "--batch"},
		{[]string{"train", "-o", o, "--lr", "-1"}, 2, "--lr"},
		{[]string{"train", "-o", o, "--levels", "1"}, 2, "--levels"},
		{[]string{"train", "-o", o, "--steps", "1", "--data", t.TempDir()}, 1, "--data"},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestTrainProgressLog: with stderr not a terminal, progress comes as plain
// lines (one per interval, none before the first interval) and one per
// epoch, never a carriage return.
func TestTrainProgressLog(t *testing.T) {
	var buf strings.Builder
	p := &trainProgress{w: &buf, batch: 16, interval: time.Nanosecond}
	for step := 1; step <= 4; step++ {
		p.step(train.Progress{Epoch: 1, Step: step, EpochStep: step, EpochSteps: 4, EpochBitsPerDim: 0.5,
			ImagesPerSec: 100, EpochEnd: step == 4})
		time.Sleep(time.Millisecond)
	}
	p.finish()
	out := buf.String()
	if strings.Contains(out, "\r") {
		t.Errorf("carriage return in a log: %q", out)
	}
	for _, want := range []string{
		"epoch 1 step 2 (2/4 of the epoch): loss 0.5000 bits/dim, 100 img/s, ETA 0s\n",
		"epoch 1 step 3 (3/4 of the epoch)",
		"epoch 1 step 4: train 0.5000 bits/dim",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "step 1 (") {
		t.Errorf("a line before the first interval:\n%s", out)
	}
}
