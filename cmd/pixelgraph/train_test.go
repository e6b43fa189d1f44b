package main

import (
	"bytes"
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

// metaOf returns the value of a metadata key of g.
func metaOf(g *graph.Graph, key string) string {
	for _, kv := range g.Metadata {
		if kv.Key == key {
			return kv.Value
		}
	}
	return ""
}

// TestTrainResume: a checkpoint is one file (optimizer state inside, the
// effective options recorded); a renamed copy resumes with the recorded
// hyper-parameters; the config of a resumed file cannot be changed.
func TestTrainResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := filepath.Join(dir, "m.onnx")
	plot := filepath.Join(dir, "loss.png")
	args := append([]string{"train", "-o", m, "--steps", "4", "--batch", "8", "--lr", "0.002", "--plot", plot}, tinyModel...)
	code, _, stderr := pg(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "epoch 1 step 4: train ") || !strings.Contains(stderr, "test ") {
		t.Errorf("progress line missing: %q", stderr)
	}
	if es, _ := os.ReadDir(dir); len(es) != 2 {
		t.Errorf("train wrote %d files, want the model and the plot", len(es))
	}
	for _, f := range []string{m, plot} {
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
	if s := metaOf(g, train.MetaStep); s != "4" {
		t.Fatalf("step metadata %q", s)
	}
	for _, want := range []string{`"LR":0.002`, `"Decay":0.999995`, `"ClipNorm":1`, `"Batch":8`, `"Beta1":0.9`, `"Beta2":0.999`, `"Eps":1e-8`} {
		if o := metaOf(g, train.MetaOptions); !strings.Contains(o, want) {
			t.Errorf("options metadata %s lacks %s", o, want)
		}
	}
	// A copy under another name, in another folder, resumes for 3 more
	// steps with the recorded lr and batch.
	b, _ := os.ReadFile(m)
	moved := filepath.Join(t.TempDir(), "renamed.onnx")
	os.WriteFile(moved, b, 0o644)
	code, _, stderr = pg(t, "train", "-o", moved, "--resume", moved, "--steps", "3", "--data", "../../testdata/mnist")
	if code != 0 {
		t.Fatalf("resume: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "at step 4: lr 0.002") || !strings.Contains(stderr, "batch 8") {
		t.Errorf("resume did not take the recorded options: %s", stderr)
	}
	g, err = export.DecodeFile(moved, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := metaOf(g, train.MetaStep); s != "7" || g.Config.Filters != 8 {
		t.Fatalf("after resume: step %q, filters %d", s, g.Config.Filters)
	}
	// Changing the model of a resumed file is a usage error.
	if code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--filters", "16", "--data", "../../testdata/mnist"); code != 2 || !strings.Contains(stderr, "--filters") {
		t.Errorf("resume with --filters: exit %d, %q", code, stderr)
	}
}

// TestTrainResumesTwoFileCheckpoint: a checkpoint of the older format
// (MODEL.onnx naming MODEL.onnx.adam) resumes, and the next checkpoint is
// one file.
func TestTrainResumesTwoFileCheckpoint(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	m := filepath.Join(dir, "m.onnx")
	if code, _, stderr := pg(t, append([]string{"train", "-o", m, "--steps", "2", "--batch", "8", "-q"}, tinyModel...)...); code != 0 {
		t.Fatal(stderr)
	}
	// Rewrite it the old way: state in m.onnx.adam, named in metadata.
	ck, err := train.LoadCheckpoint(m)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	ck.Adam.WriteTo(&buf)
	os.WriteFile(m+".adam", buf.Bytes(), 0o644)
	ck.Graph.Metadata = append(ck.Graph.Metadata, graph.KV{Key: train.MetaAdamFile, Value: "m.onnx.adam"})
	if err := export.WriteFile(m, ck.Graph, nil); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--steps", "1", "--data", "../../testdata/mnist")
	if code != 0 || !strings.Contains(stderr, "two-file checkpoint") {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if _, err := os.Stat(m + ".adam"); err == nil {
		t.Error("the old state file is still there after a one-file checkpoint replaced it")
	}
	os.Remove(m)
	if code, _, stderr := pg(t, "train", "-o", m, "--resume", m, "--steps", "1", "--data", "../../testdata/mnist"); code != 1 || !strings.Contains(stderr, "m.onnx") {
		t.Errorf("missing checkpoint: exit %d, %q", code, stderr)
	}
}

func TestTrainUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	o := filepath.Join(dir, "x.onnx")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"train"}, 2, "-o MODEL.onnx is required"},
		{[]string{"train", "-o", o, "--batch", "0"}, 2, "--batch"},
		{[]string{"train", "-o", o, "--lr", "-1"}, 2, "--lr"},
		{[]string{"train", "-o", o, "--levels", "1"}, 2, "--levels"},
		{[]string{"train", "-o", o, "--epochs", "0", "--steps", "0"}, 2, "--epochs must be > 0, got 0"},
		{[]string{"train", "-o", o, "--steps", "0"}, 2, "--steps must be > 0, got 0"},
		{[]string{"train", "-o", o, "--epochs", "0", "--steps", "5"}, 2, "--epochs must be > 0"},
		{[]string{"train", "-o", o, "--schedule", "linear"}, 2, `--schedule must be exp or cosine, got "linear"`},
		{[]string{"train", "-o", o, "--snapshot-every", "-1s"}, 2, "--snapshot-every must be >= 0"},
		{[]string{"train", "-o", o, "--time", "-1s"}, 2, "--time must be >= 0"},
		{[]string{"train", "-o", o, "--steps", "1", "--data", t.TempDir()}, 1, "--data"},
		// Outputs are checked before any work: these fail at once.
		{[]string{"train", "-o", filepath.Join(dir, "nodir", "t.onnx")}, 1, "pixelgraph: train: -o: write " + filepath.Join(dir, "nodir", "t.onnx")},
		{[]string{"train", "-o", o, "--plot", filepath.Join(dir, "nodir", "l.png")}, 1, "--plot: write " + filepath.Join(dir, "nodir", "l.png")},
		{[]string{"train", "-o", dir}, 1, "is a directory"},
		// Sizes that cannot fit are refused before anything is allocated.
		{[]string{"train", "-o", o, "--filters", "99999999"}, 2, "--filters 99999999 (2.11e+11 parameters): training needs at least 3.1 TiB, more than the"},
		{[]string{"train", "-o", o, "--batch", "100000000"}, 2, "--batch 100000000: a training step of 100000000 images needs at least"},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if es, _ := os.ReadDir(dir); len(es) != 0 {
		t.Errorf("failed runs left %d files", len(es))
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

// TestTrainSnapshots: --snapshot-every writes complete checkpoints beside
// -o, named by training time, each resumable; the cosine schedule is
// recorded and resumed.
func TestTrainSnapshots(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		at   time.Duration
		want string
	}{
		{15 * time.Minute, "runs/cond-15m.onnx"},
		{2 * time.Hour, "runs/cond-2h.onnx"},
		{90 * time.Minute, "runs/cond-1h30m.onnx"},
		{90 * time.Second, "runs/cond-1m30s.onnx"},
	} {
		if got := snapshotPath("runs/cond.onnx", c.at); got != c.want {
			t.Errorf("snapshotPath(%v) = %s, want %s", c.at, got, c.want)
		}
	}
	dir := t.TempDir()
	m := filepath.Join(dir, "m.onnx")
	args := append([]string{"train", "-o", m, "--steps", "3", "--batch", "8", "--schedule", "cosine", "--snapshot-every", "1ns"}, tinyModel...)
	code, _, stderr := pg(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	snaps, _ := filepath.Glob(filepath.Join(dir, "m-*.onnx"))
	if len(snaps) != 2 || strings.Count(stderr, "snapshot ") != 2 {
		t.Fatalf("snapshots %v (want one after each step but the last), stderr %s", snaps, stderr)
	}
	steps := map[int]bool{}
	for _, s := range snaps {
		ck, err := train.LoadCheckpoint(s)
		if err != nil {
			t.Fatal(err)
		}
		if ck.Options == nil || ck.Options.Schedule != train.ScheduleCosine {
			t.Errorf("%s: options %+v", s, ck.Options)
		}
		steps[ck.Adam.Step] = true
	}
	if !steps[1] || !steps[2] {
		t.Errorf("snapshot steps %v, want 1 and 2", steps)
	}
	code, _, stderr = pg(t, "train", "-o", m, "--resume", m, "--steps", "1", "--data", "../../testdata/mnist")
	if code != 0 || !strings.Contains(stderr, "schedule cosine") {
		t.Errorf("resume: exit %d, %s", code, stderr)
	}
}

// TestTrainETA: the ETA is to the first of the epoch's end, --steps and
// --time.
func TestTrainETA(t *testing.T) {
	t.Parallel()
	s := train.Progress{Step: 100, EpochStep: 100, EpochSteps: 1100, ImagesPerSec: 10, Elapsed: 9 * time.Minute}
	for _, c := range []struct {
		p    trainProgress
		want time.Duration
	}{
		{trainProgress{batch: 1}, 100 * time.Second},
		{trainProgress{batch: 1, stepLimit: 50, start: 90}, 4 * time.Second},
		{trainProgress{batch: 1, budget: 10 * time.Minute}, 60 * time.Second},
		{trainProgress{batch: 1, budget: 5 * time.Minute}, 0},
		{trainProgress{batch: 1, budget: time.Hour}, 100 * time.Second},
	} {
		if got := c.p.eta(s); got != c.want {
			t.Errorf("%+v: eta %v, want %v", c.p, got, c.want)
		}
	}
}
