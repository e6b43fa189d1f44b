package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// tinyConfig is a fast PixelCNN of MNIST's size.
func tinyConfig(q int) graph.Config {
	c := graph.DefaultConfig()
	c.Levels, c.Filters, c.Hidden, c.Blocks, c.Head = q, 8, 4, 2, 8
	return c
}

// writeModel builds a PixelCNN, lets edit change it, and writes it as ONNX.
func writeModel(t *testing.T, c graph.Config, edit func(*graph.Graph)) string {
	t.Helper()
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(g)
	}
	f := filepath.Join(t.TempDir(), "model.onnx")
	if err := export.WriteFile(f, g, nil); err != nil {
		t.Fatal(err)
	}
	return f
}

// leak makes tap (row, col) of conv's weight live.
func leak(conv string, row, col int) func(*graph.Graph) {
	return func(g *graph.Graph) {
		w := g.Init(conv + "/W")
		w.Mask = graph.MaskNone
		kh, kw := w.Shape[2], w.Shape[3]
		for i := 0; i < len(w.Const.F32); i += kh * kw {
			w.Const.F32[i+row*kw+col] = 0.3
		}
	}
}

func TestSampleCommand(t *testing.T) {
	t.Parallel()
	c := tinyConfig(4)
	c.Height, c.Width = 12, 10 // the naive run makes H·W forward passes
	model := writeModel(t, c, nil)
	dir := t.TempDir()
	var raws [][]byte
	for _, m := range []string{"cached", "naive", "auto"} {
		out, raw := filepath.Join(dir, m+".png"), filepath.Join(dir, m+".pb")
		code, _, stderr := pg(t, "sample", "-m", model, "-n", "3", "--seed", "5", "-o", out, "--raw", raw, "--method", m, "--scale", "1", "-q")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", m, code, stderr)
		}
		if strings.Contains(stderr, "pixels,") {
			t.Errorf("-q still printed progress: %s", stderr)
		}
		f, err := os.Open(out)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != 2*(10+2)+2 || b.Dy() != 2*(12+2)+2 {
			t.Errorf("%s: grid is %v, want 2x2 cells of 12x10 with padding 2", m, b)
		}
		b, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, b)
	}
	if !bytes.Equal(raws[0], raws[1]) || !bytes.Equal(raws[0], raws[2]) {
		t.Error("cached, naive and auto wrote different levels for the same seed")
	}
	// The raw file is the library's result as an int64 TensorProto.
	g, err := export.DecodeFile(model, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := sample.Sample(context.Background(), g, sample.Options{N: 3, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := graph.NewInt64([]int{3, 1, 12, 10}, nil)
	for i, l := range res.Levels {
		want.I64[i] = int64(l)
	}
	wb, _ := export.MarshalTensor("levels", want)
	if !bytes.Equal(raws[0], wb) {
		t.Error("--raw differs from the library's levels")
	}
}

func TestSampleFallsBack(t *testing.T) {
	t.Parallel()
	c := tinyConfig(4)
	c.Height, c.Width = 8, 8
	model := writeModel(t, c, leak("in", 3, 3))
	out := filepath.Join(t.TempDir(), "s.png")
	code, _, stderr := pg(t, "sample", "-m", model, "-n", "1", "-o", out, "-q")
	if code != 0 || !strings.Contains(stderr, "falling back to naive") || !strings.Contains(stderr, "node in (Conv) tap (3,3)") {
		t.Errorf("auto on a leaky model: exit %d, stderr %q", code, stderr)
	}
	code, _, stderr = pg(t, "sample", "-m", model, "-n", "1", "-o", out, "--method", "cached")
	if code != 1 || !strings.Contains(stderr, "pixelgraph: sample: cached sampling: node in (Conv) tap (3,3)") {
		t.Errorf("--method cached on a leaky model: exit %d, stderr %q", code, stderr)
	}
}

func TestSampleUsageErrors(t *testing.T) {
	t.Parallel()
	model := writeModel(t, tinyConfig(4), nil)
	out := filepath.Join(t.TempDir(), "s.png")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"sample", "-o", out}, 2, "-m MODEL is required"},
		{[]string{"sample", "-m", model}, 2, "-o FILE is required"},
		{[]string{"sample", "-m", model, "-o", out, "-n", "0"}, 2, "-n must be"},
		{[]string{"sample", "-m", model, "-o", out, "--temperature", "0"}, 2, "--temperature must be > 0"},
		{[]string{"sample", "-m", model, "-o", out, "--method", "fast"}, 2, "--method: unknown method"},
		{[]string{"sample", "-m", model, "-o", out, "extra"}, 2, "unexpected argument"},
		{[]string{"sample", "-m", filepath.Join(t.TempDir(), "none.onnx"), "-o", out}, 1, "pixelgraph: sample:"},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Error("a failed sample left its output behind")
	}
}

func TestSampleHelp(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"sample", "complete", "audit"} {
		code, stdout, _ := pg(t, cmd, "-h")
		if code != 0 || !strings.Contains(stdout, "usage: pixelgraph "+cmd) || !strings.Contains(stdout, "no progress on stderr") {
			t.Errorf("%s -h: exit %d, stdout %q", cmd, code, stdout)
		}
	}
}

// TestNearNote: the near-boundary count comes with what it means, on one
// line, and nothing is said when there are none.
func TestNearNote(t *testing.T) {
	t.Parallel()
	r := &sample.Result{Levels: make([]int32, 1568), NearBoundary: []int{5, 70, 900}}
	got := nearNote(r)
	want := "note: 3 of 1568 draws fell within 1e-05 of a level boundary: only at those pixels may another engine (ONNX Runtime, PyTorch) with the same seed draw a neighbouring level"
	if !strings.HasPrefix(got, want) || strings.Contains(got, "\n") {
		t.Errorf("nearNote = %q, want one line starting %q", got, want)
	}
	if got := nearNote(&sample.Result{Levels: r.Levels}); got != "" {
		t.Errorf("no near draws: %q", got)
	}
}
