package main

import (
	"context"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/train"
)

// TestEvalAgreesWithGorgonia: `pixelgraph eval` (Go runtime) and train.Eval
// (gorgonia's forward) compute one NLL for the same file.
func TestEvalAgreesWithGorgonia(t *testing.T) {
	t.Parallel()
	m := filepath.Join(t.TempDir(), "m.onnx")
	if code, _, stderr := pg(t, append([]string{"export", "-o", m}, tinyModel[:8]...)...); code != 0 {
		t.Fatal(stderr)
	}
	code, out, stderr := pg(t, "eval", "-m", m, "--limit", "40", "--data", "../../testdata/mnist", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got struct {
		NatsPerImage float64 `json:"nats_per_image"`
		BitsPerDim   float64 `json:"bits_per_dim"`
		Images       int     `json:"images"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil || strings.Count(out, "\n") != 1 {
		t.Fatalf("--json printed %q: %v", out, err)
	}
	g, err := export.DecodeFile(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	test, err := dataset.Load("../../testdata/mnist", dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	want, err := train.Eval(context.Background(), g, test, train.EvalOptions{Limit: 40})
	if err != nil {
		t.Fatal(err)
	}
	// Relative 5e-5: gorgonia's loss is a float32 log-softmax averaged in
	// float32 over 40·784 pixels; nll works in float64 (measured: 9e-6).
	if got.Images != 40 || !(math.Abs(got.BitsPerDim-want.BitsPerDim) <= 5e-5*want.BitsPerDim) ||
		!(math.Abs(got.NatsPerImage-got.BitsPerDim*784*math.Ln2) <= 1e-6*got.NatsPerImage) {
		t.Fatalf("eval %+v, gorgonia %+v", got, want)
	}
}

func TestEvalUsage(t *testing.T) {
	t.Parallel()
	if code, _, _ := pg(t, "eval"); code != 2 {
		t.Errorf("no -m: exit %d", code)
	}
	if code, _, _ := pg(t, "eval", "-m", "x.onnx", "--limit", "-1"); code != 2 {
		t.Errorf("--limit -1: exit %d", code)
	}
	if code, _, stderr := pg(t, "eval", "-m", filepath.Join(t.TempDir(), "none.onnx")); code != 1 || !strings.Contains(stderr, "none.onnx") {
		t.Errorf("missing model: exit %d %q", code, stderr)
	}
}
