package dataset

import (
	"bytes"
	"compress/gzip"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

const sliceDir = "../testdata/mnist"

func TestLevel(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		pixel uint8
		q     int
		want  uint8
	}{
		{"q2 black", 0, 2, 0},
		{"q2 last of lower half", 127, 2, 0},
		{"q2 first of upper half", 128, 2, 1},
		{"q2 white", 255, 2, 1},
		{"q4 63 is level 0", 63, 4, 0},
		{"q4 64 is level 1", 64, 4, 1},
		{"q4 127 is level 1", 127, 4, 1},
		{"q4 128 is level 2", 128, 4, 2},
		{"q4 191 is level 2", 191, 4, 2},
		{"q4 192 is level 3", 192, 4, 3},
		{"q4 white", 255, 4, 3},
		{"q256 is identity 0", 0, 256, 0},
		{"q256 is identity 1", 1, 256, 1},
		{"q256 is identity 200", 200, 256, 200},
		{"q256 is identity 255", 255, 256, 255},
		{"q3 85 is level 0", 85, 3, 0}, // 85·3/256 = 0.996
		{"q3 86 is level 1", 86, 3, 1}, // 86·3/256 = 1.008
		{"q3 170 is level 1", 170, 3, 1},
		{"q3 171 is level 2", 171, 3, 2},
	} {
		if got := Level(c.pixel, c.q); got != c.want {
			t.Errorf("%s: Level(%d, %d) = %d, want %d", c.name, c.pixel, c.q, got, c.want)
		}
	}
}

func TestQuantizeScale(t *testing.T) {
	t.Parallel()
	for _, q := range []int{2, 3, 4, 16, 256} {
		src := make([]uint8, 256)
		for i := range src {
			src[i] = uint8(i)
		}
		lv := make([]uint8, 256)
		Quantize(lv, src, q)
		x := make([]float32, 256)
		Scale(x, lv, q)
		count := make([]int, q)
		for i, l := range lv {
			if int(l) >= q {
				t.Fatalf("q=%d: pixel %d gives level %d", q, i, l)
			}
			if i > 0 && l < lv[i-1] {
				t.Fatalf("q=%d: levels not monotone at pixel %d", q, i)
			}
			count[l]++
			if want := float32(l) / float32(q-1); x[i] != want {
				t.Fatalf("q=%d: input of level %d is %g, want %g", q, l, x[i], want)
			}
		}
		// floor(p·q/256) splits 0..255 into q runs of equal length when q | 256.
		if 256%q == 0 {
			for l, n := range count {
				if n != 256/q {
					t.Errorf("q=%d: level %d has %d pixels, want %d", q, l, n, 256/q)
				}
			}
		}
		if x[0] != 0 || x[255] != 1 {
			t.Errorf("q=%d: inputs of black and white are %g and %g, want 0 and 1", q, x[0], x[255])
		}
	}
}

func TestCheckLevels(t *testing.T) {
	t.Parallel()
	for q, ok := range map[int]bool{1: false, 2: true, 256: true, 257: false} {
		if err := CheckLevels(q); (err == nil) != ok {
			t.Errorf("CheckLevels(%d) = %v", q, err)
		}
	}
}

func TestLoadSlice(t *testing.T) {
	t.Parallel()
	for _, split := range []Split{Train, Test} {
		im, err := Load(sliceDir, split)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != 256 || im.H != 28 || im.W != 28 || len(im.Labels) != 256 {
			t.Fatalf("%v: %d images %dx%d, %d labels", split, im.N, im.H, im.W, len(im.Labels))
		}
		// MNIST digits are white strokes on black: borders are 0, some pixels 255.
		var mx uint8
		for _, p := range im.Pix {
			mx = max(mx, p)
		}
		if im.Pix[0] != 0 || mx != 255 {
			t.Errorf("%v: corner %d, max %d", split, im.Pix[0], mx)
		}
	}
	// The first training label of MNIST is a 5, the first test label a 7.
	tr, _ := Load(sliceDir, Train)
	te, _ := Load(sliceDir, Test)
	if tr.Labels[0] != 5 || te.Labels[0] != 7 {
		t.Errorf("first labels %d, %d; want 5, 7", tr.Labels[0], te.Labels[0])
	}
}

func TestLoadModuleCache(t *testing.T) {
	if testing.Short() {
		t.Skip("reads the full MNIST")
	}
	im, err := Load("", Test)
	var miss *MissingError
	if errors.As(err, &miss) {
		testenv.Unavailable(t, "MNIST ("+Module+" in the module cache)", err.Error(), "scripts/install-test-deps.sh, or: go mod download "+Module+"@"+Version)
	}
	if err != nil {
		t.Fatal(err)
	}
	if im.N != 10000 {
		t.Fatalf("%d test images", im.N)
	}
	// The slice is the prefix of the full set.
	s, err := Load(sliceDir, Test)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(s.Pix, im.Slice(0, 256).Pix) || !bytes.Equal(s.Labels, im.Labels[:256]) {
		t.Error("testdata slice is not the first 256 test images")
	}
}

func TestMissing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, err := Load(dir, Train)
	var miss *MissingError
	if !errors.As(err, &miss) {
		t.Fatalf("got %v, want a MissingError", err)
	}
	for _, want := range []string{"train-images-idx3-ubyte", dir, "--data"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// TestMissingModule: with an empty module cache the error says how to fill it.
func TestMissingModule(t *testing.T) {
	t.Setenv("GOMODCACHE", t.TempDir())
	_, err := Load("", Test)
	var miss *MissingError
	if !errors.As(err, &miss) || !strings.Contains(err.Error(), "go mod download "+Module) {
		t.Fatalf("got %v, want a MissingError saying go mod download %s", err, Module)
	}
}

// writeFile writes an IDX file, gzip'd when gz.
func writeFile(t *testing.T, path string, raw []byte, gz bool) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		z := gzip.NewWriter(&b)
		z.Write(raw)
		z.Close()
		raw = b.Bytes()
	}
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
}

func idx(dims []int, data []byte) []byte {
	var b bytes.Buffer
	if err := WriteIDX(&b, dims, data); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func TestBadFiles(t *testing.T) {
	t.Parallel()
	good := idx([]int{2, 2, 3}, make([]byte, 12))
	labels := idx([]int{2}, []byte{1, 9})
	for _, c := range []struct {
		name   string
		images []byte
		labels []byte
		want   string // in the error
	}{
		{"labels file as images", labels, labels, "magic number 0x00000801, want 0x00000803"},
		{"short data", good[:len(good)-1], labels, "holds 11 data bytes, header [2 2 3] needs 12"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), labels, "has bytes after"},
		{"empty", nil, labels, "too short for an IDX header"},
		{"label out of range", good, idx([]int{2}, []byte{1, 10}), "label 1 is 10"},
		{"label count", good, idx([]int{3}, []byte{1, 2, 3}), "holds 3 labels for the 2 images"},
		{"zero dimension", idx([]int{2, 0, 3}, nil), labels, "dimension 1 is 0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), c.images, true)
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), c.labels, false) // plain IDX is accepted too
			_, err := Load(dir, Train)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

func TestCrop(t *testing.T) {
	t.Parallel()
	im := &Images{N: 2, H: 3, W: 3, Pix: []uint8{1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19}}
	c, err := im.Crop(1, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := []uint8{5, 6, 8, 9, 15, 16, 18, 19}; !bytes.Equal(c.Pix, want) {
		t.Errorf("crop = %v, want %v", c.Pix, want)
	}
	if _, err := im.Crop(2, 0, 2, 2); err == nil {
		t.Error("crop outside the image: no error")
	}
}

// TestFashion reads Debian's Fashion-MNIST (dataset-fashion-mnist, which
// scripts/install-test-deps.sh installs): both splits, labels 0..9.
func TestFashion(t *testing.T) {
	t.Parallel()
	dir, err := Dir("fashion")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); err != nil {
		testenv.Unavailable(t, "Fashion-MNIST ("+FashionPackage+")", err.Error(), "scripts/install-test-deps.sh (apt-get install "+FashionPackage+")")
	}
	for _, c := range []struct {
		split Split
		n     int
	}{{Train, 60000}, {Test, 10000}} {
		im, err := Load(dir, c.split)
		if err != nil {
			t.Fatal(err)
		}
		if im.N != c.n || im.H != 28 || im.W != 28 || len(im.Labels) != c.n || slices.Max(im.Labels) != 9 {
			t.Errorf("%v: %d images %dx%d, %d labels", c.split, im.N, im.H, im.W, len(im.Labels))
		}
	}
	if _, err := Dir("cifar"); err == nil {
		t.Error("dataset cifar accepted")
	}
	var me *MissingError
	if _, err := Load(t.TempDir(), Test); !errors.As(err, &me) {
		t.Errorf("empty dir: %v", err)
	}
}
