package main

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/npy"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

const testMNIST = "../../testdata/mnist"

// wantDigits is the model input of test digits idx at q levels, cropped
// to h x w: level/(q-1), level = floor(byte*q/256).
func wantDigits(t *testing.T, idx []int, q, h, w int) *graph.Tensor {
	t.Helper()
	test, err := dataset.Load(testMNIST, dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	if test, err = cropTo(test, h, w); err != nil {
		t.Fatal(err)
	}
	x := graph.NewFloat32([]int{len(idx), 1, h, w}, nil)
	for k, i := range idx {
		for p, b := range test.Image(i) {
			x.F32[k*h*w+p] = float32(int(b)*q/256) / float32(q-1)
		}
	}
	return x
}

func readAny(t *testing.T, path string) *graph.Tensor {
	t.Helper()
	if strings.HasSuffix(path, ".npy") {
		b, _ := os.ReadFile(path)
		x, err := npy.Read(b)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	return readTensor(t, path)
}

func TestTensorCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	q7 := tinyConfig(7)
	small := tinyConfig(4)
	small.Height, small.Width = 20, 24
	m7, mSmall := writeModel(t, q7, nil), writeModel(t, small, nil)
	grey := filepath.Join(dir, "grey.png")
	img := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(img.Pix, []uint8{0, 63, 64, 127, 128, 255})
	var pb bytes.Buffer
	png.Encode(&pb, img)
	os.WriteFile(grey, pb.Bytes(), 0o644)
	colour := filepath.Join(dir, "colour.png")
	ci := image.NewRGBA(image.Rect(0, 0, 3, 2))
	for i := range 6 {
		v := img.Pix[i]
		ci.Set(i%3, i/3, color.RGBA{v, v, v, 255}) // grey in RGBA: the same levels
	}
	pb.Reset()
	png.Encode(&pb, ci)
	os.WriteFile(colour, pb.Bytes(), 0o644)
	pngWant := graph.NewFloat32([]int{2, 1, 2, 3}, []float32{0, 0, 1. / 3, 1. / 3, 2. / 3, 1, 0, 0, 1. / 3, 1. / 3, 2. / 3, 1})
	for _, c := range []struct {
		name string
		args []string
		want *graph.Tensor
	}{
		{"first digits, default q", []string{"-n", "3", "-o", "a.pb"}, wantDigits(t, []int{0, 1, 2}, 4, 28, 28)},
		{"from --first", []string{"--first", "10", "-n", "2", "-o", "b.npy"}, wantDigits(t, []int{10, 11}, 4, 28, 28)},
		{"--index, q from the model", []string{"--index", "5,1", "--index", "9", "-m", m7, "-o", "c.pb"}, wantDigits(t, []int{5, 1, 9}, 7, 28, 28)},
		{"cropped to the model", []string{"-m", mSmall, "-o", "d.npy"}, wantDigits(t, []int{0}, 4, 20, 24)},
		{"--levels", []string{"--levels", "256", "-o", "e.pb"}, wantDigits(t, []int{0}, 256, 28, 28)},
		{"PNG, grey and colour", []string{"--png", grey, "--png", colour, "-o", "f.npy"}, pngWant},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, c.args[len(c.args)-1])
			args := append([]string{"tensor", "--data", testMNIST}, c.args[:len(c.args)-1]...)
			if strings.Contains(c.name, "PNG") {
				args = append([]string{"tensor"}, c.args[:len(c.args)-1]...)
			}
			code, _, stderr := pg(t, append(args, out)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if err := testenv.CloseTensor(readAny(t, out), c.want, 0, 0); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"tensor"}, 2, "-o FILE is required"},
		{[]string{"tensor", "-o", "x.png"}, 2, "must end in .pb (TensorProto) or .npy"},
		{[]string{"tensor", "-o", "x.pb", "--levels", "1"}, 2, "--levels: levels must be in 2..256"},
		{[]string{"tensor", "-o", "x.pb", "-n", "0"}, 2, "-n must be >= 1"},
		{[]string{"tensor", "-o", "x.pb", "--png", grey, "-n", "2"}, 2, "--png cannot be combined"},
		{[]string{"tensor", "-o", "x.pb", "--index", "1", "--first", "2"}, 2, "--index cannot be combined"},
		{[]string{"tensor", "-o", "x.pb", "--index", "1,x"}, 2, `--index: "x" is not a digit index`},
		{[]string{"tensor", "-o", "x.pb", "--index", "100000", "--data", testMNIST}, 2, "--index 100000: the test set has 256 digits"},
		{[]string{"tensor", "-o", "x.pb", "--first", "250", "-n", "10", "--data", testMNIST}, 2, "--first 250 -n 10: the test set has 256 digits"},
		{[]string{"tensor", "-o", "x.pb", "-m", m7, "--levels", "4"}, 2, "--levels 4 disagrees with " + m7 + " (q = 7)"},
		{[]string{"tensor", "-o", "x.pb", "-m", m7, "--png", grey}, 1, grey + " is 2x3 (height x width), want 28x28"},
		{[]string{"tensor", "-o", filepath.Join(dir, "nodir", "x.pb")}, 1, "write "},
	} {
		code, _, stderr := pg(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %q; want %d with %q", c.args, code, stderr, c.code, c.want)
		}
	}
}

// TestRunNPY: run reads .npy inputs and computes what it computes from the
// same tensor as .pb.
func TestRunNPY(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	model := writeModel(t, tinyConfig(4), nil)
	var outs []*graph.Tensor
	for _, f := range []string{"in.pb", "in.npy"} {
		in := filepath.Join(dir, f)
		if code, _, stderr := pg(t, "tensor", "-q", "-m", model, "-n", "2", "--data", testMNIST, "-o", in); code != 0 {
			t.Fatal(stderr)
		}
		od := filepath.Join(dir, "out-"+f)
		if code, _, stderr := pg(t, "run", "-q", "-m", model, "-i", in, "-o", od); code != 0 {
			t.Fatalf("run -i %s: %s", f, stderr)
		}
		outs = append(outs, readTensor(t, filepath.Join(od, "output_0.pb")))
	}
	if err := testenv.CloseTensor(outs[1], outs[0], 0, 0); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(outs[0].Shape, []int{2, 4, 28, 28}) {
		t.Fatalf("logits %v", outs[0].Shape)
	}
}
