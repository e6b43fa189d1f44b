package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

const testClassifier = "classifier/mnist_q4.onnx"

// TestClassifier: the agreement's digit classifier (classifier/, built in),
// run by the Go runtime, recognises the repository's 256 MNIST test digits
// at q = 4 (the accuracy its generator measured on all 10 000 test digits
// is in accuracy.json: 0.9818).
func TestClassifier(t *testing.T) {
	t.Parallel()
	c, err := export.DecodeFile(testClassifier, nil)
	if err != nil {
		t.Fatal(err)
	}
	im, err := dataset.Load("../../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	res := &sample.Result{Geometry: sample.Geometry{H: 28, W: 28, Q: 4}, N: im.N, Levels: make([]int32, im.N*28*28)}
	for i, p := range im.Pix {
		res.Levels[i] = int32(dataset.Level(p, 4))
	}
	got, err := classify(t.Context(), c, res, 0)
	if err != nil {
		t.Fatal(err)
	}
	right := 0
	for i, k := range got {
		if k == int(im.Labels[i]) {
			right++
		}
	}
	t.Logf("%d of %d test digits recognised", right, im.N)
	if float64(right) < 0.95*float64(im.N) {
		t.Errorf("%d of %d test digits recognised; want at least 95%%", right, im.N)
	}
}

// TestAgreementCLI: agreement samples N images per class of a conditional
// model, classifies them and reports the share that is the class asked
// for (one JSON line, a confusion matrix that accounts for every sample);
// an unconditional model is a usage error.
func TestAgreementCLI(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	f := gatedFile(t, dir)
	grid := filepath.Join(dir, "grid.png")
	code, out, stderr := pg(t, "agreement", "-m", f, "-n", "2", "--json", "-o", grid) // the built-in classifier
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r agreementResult
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	total, hits := 0, 0
	for k, row := range r.Confusion {
		for j, v := range row {
			total += v
			if j == k {
				hits += v
			}
		}
		if row[k] != r.PerClass[k] {
			t.Errorf("class %d: confusion %d, per_class %d", k, row[k], r.PerClass[k])
		}
	}
	if r.Images != 20 || r.N != 2 || len(r.PerClass) != 10 || total != 20 || r.Agreement != float64(hits)/20 {
		t.Errorf("result %+v", r)
	}
	if _, err := os.Stat(grid); err != nil {
		t.Error(err)
	}
	u := filepath.Join(dir, "u.onnx")
	if code, _, stderr := pg(t, "export", "-o", u, "--arch", "gated", "--filters", "8", "--layers", "2", "--head", "8"); code != 0 {
		t.Fatal(stderr)
	}
	if code, _, stderr := pg(t, "agreement", "-m", u, "--classifier", testClassifier); code != 2 || !strings.Contains(stderr, "not a class-conditional model") {
		t.Errorf("unconditional model: exit %d: %s", code, stderr)
	}
}

// TestEmbeddedClassifier: the classifier built into the binary is the
// generator's file (classifier/README.md's provenance holds for it).
func TestEmbeddedClassifier(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(testClassifier)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, embeddedClassifier) {
		t.Errorf("embedded classifier (%d bytes) differs from %s (%d bytes)", len(embeddedClassifier), testClassifier, len(b))
	}
}
