package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCompleteCommand(t *testing.T) {
	t.Parallel()
	model := writeModel(t, tinyConfig(4), nil)
	out := filepath.Join(t.TempDir(), "c.png")
	code, _, stderr := pg(t, "complete", "-m", model, "--rows", "20", "-n", "2", "--samples", "2",
		"--data", filepath.Join("..", "..", "testdata", "mnist"), "-o", out, "--scale", "1")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "completing: 784/784 pixels") {
		t.Errorf("no final progress line: %s", stderr)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// 2 rows of original | occluded | 2 completions, 28x28 cells, padding 2.
	if b := img.Bounds(); b.Dx() != 4*30+2 || b.Dy() != 2*30+2 {
		t.Errorf("grid is %v", b)
	}
}

func TestCompleteUsageErrors(t *testing.T) {
	t.Parallel()
	model := writeModel(t, tinyConfig(4), nil)
	out := filepath.Join(t.TempDir(), "c.png")
	data := filepath.Join("..", "..", "testdata", "mnist")
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"complete", "-m", model, "-o", out, "--rows", "29", "--data", data}, 2, "--rows must be at most"},
		{[]string{"complete", "-m", model, "-o", out, "--samples", "0"}, 2, "--samples"},
		{[]string{"complete", "-m", model, "-o", out, "--data", t.TempDir()}, 1, "not found"},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d containing %q", c.args, code, stderr, c.code, c.want)
		}
	}
}
