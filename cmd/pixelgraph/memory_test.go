package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
)

func TestConfigParams(t *testing.T) {
	t.Parallel()
	small := graph.DefaultConfig()
	small.Filters, small.Hidden, small.Blocks, small.Levels, small.Head = 32, 16, 3, 256, 24
	odd := tinyConfig(7)
	odd.FirstKernel, odd.BlockKernel, odd.Channels = 5, 5, 2
	for name, c := range map[string]graph.Config{"seed": graph.DefaultConfig(), "small": small, "odd kernels, 2 channels": odd} {
		g, err := graph.PixelCNN(c)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := configParams(c), float64(graph.ParamCount(g)); got != want {
			t.Errorf("%s: configParams %v, graph.ParamCount %v", name, got, want)
		}
	}
}

// TestActivations: the seed's largest node is a block's Add (reads two
// 128-channel maps, writes one: 384 per pixel); training keeps every value
// (input 1, first conv 128, 15 blocks of 640, head 516 channels).
func TestActivations(t *testing.T) {
	t.Parallel()
	g, err := graph.PixelCNN(graph.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	peak, total := activations(g, nil)
	if want := 384.0 * 784; peak != want {
		t.Errorf("seed peak %v, want %v", peak, want)
	}
	if want := (1 + 128 + 15*640 + 516) * 784.0; total != want {
		t.Errorf("seed total %v, want %v", total, want)
	}
	// A stride-2 conv quarters the pixels; the given input shape replaces
	// a symbolic one.
	b := graph.NewBuilder("s", 1)
	x := b.Input("x", 3, 16, 16)
	y := b.Conv(x, graph.ConvSpec{Out: 8, Kernel: 3, Pad: 1, Stride: 2})
	b.Output("y", b.Relu(y))
	g2, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if peak, _ := activations(g2, nil); peak != 3*256+8*64 {
		t.Errorf("strided conv: peak %v, want %v", peak, 3*256+8*64)
	}
	if peak, _ := activations(g2, map[string][]int{"x": {5, 3, 32, 32}}); peak != 3*1024+8*256 {
		t.Errorf("given shape: peak %v, want %v", peak, 3*1024+8*256)
	}
}

func TestByteSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		b    float64
		want string
	}{{0, "0 B"}, {1023, "1023 B"}, {1536, "1.5 KiB"}, {3 << 30, "3.0 GiB"}, {14 << 40, "14.0 TiB"}} {
		if got := byteSize(c.b); got != c.want {
			t.Errorf("byteSize(%v) = %q, want %q", c.b, got, c.want)
		}
	}
}

// TestAvailableMemory: /proc/meminfo's figure, lowered to GOMEMLIMIT when
// that is smaller. Not parallel: it sets the process's memory limit.
func TestAvailableMemory(t *testing.T) {
	avail, src := availableMemory()
	if _, err := os.Stat("/proc/meminfo"); err == nil && (avail <= 0 || !strings.Contains(src, "MemAvailable")) {
		t.Fatalf("availableMemory() = %d, %q", avail, src)
	}
	old := debug.SetMemoryLimit(512 << 20)
	defer debug.SetMemoryLimit(old)
	if avail, src := availableMemory(); avail != 512<<20 || !strings.Contains(src, "GOMEMLIMIT") {
		t.Errorf("with a 512 MiB limit: %d, %q", avail, src)
	}
}

// pgMem runs a command with a memory budget of budget bytes.
func pgMem(t *testing.T, budget int64, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, mem: func() (int64, string) { return budget, "the test's budget" }}
	code := run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// TestTooBig: every command refuses work that cannot fit before allocating
// it, in one line naming the flag (exit 2) or the file's tensor (exit 1;
// audit 3), and writes nothing. Budgets are set per case; the huge files
// (100000x100000 images) are refused on any machine.
func TestTooBig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	small := writeModel(t, tinyConfig(4), nil)
	hc := tinyConfig(4)
	hc.Height, hc.Width = 100000, 100000
	hg, err := graph.PixelCNN(hc)
	if err != nil {
		t.Fatal(err)
	}
	huge := filepath.Join(dir, "huge.onnx")
	if err := export.WriteFile(huge, hg, nil); err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "in.pb")
	b, _ := export.MarshalTensor("pixels", graph.NewFloat32([]int{64, 1, 28, 28}, nil))
	os.WriteFile(in, b, 0o644)
	out := filepath.Join(dir, "out")
	const real = 0 // use the machine's memory
	for _, c := range []struct {
		name   string
		budget int64
		args   []string
		code   int
		want   string
	}{
		{"export: weights", real, []string{"export", "-o", out, "--filters", "99999999"}, 2,
			"--filters 99999999 (2.11e+11 parameters): building and writing the weights needs at least 2.3 TiB, more than the"},
		{"export: one image", real, []string{"export", "-o", out, "--height", "100000", "--width", "100000"}, 2,
			"--height 100000 --width 100000: one image's forward pass through the model needs at least 14.0 TiB"},
		{"export: default model, tiny budget", 1 << 20, []string{"export", "-o", out}, 2,
			"the model flags (8.42e+05 parameters): building and writing the weights needs at least 9.6 MiB, more than the 1.0 MiB available (the test's budget)"},
		{"sample: huge file", real, []string{"sample", "-m", huge, "-o", out}, 1,
			"input pixels float32[N,1,100000,100000]: sampling 1 image of 100000x100000 needs at least 186.3 GiB"},
		{"sample: too many images", 1 << 20, []string{"sample", "-m", small, "-o", out, "-n", "4096"}, 2,
			"-n 4096: sampling 4096 images of 28x28 needs at least 61.2 MiB, more than the 1.0 MiB available"},
		{"sample naive: too many images", 100 << 20, []string{"sample", "-m", small, "-o", out, "-n", "4096", "--method", "naive"}, 2,
			"-n 4096: sampling 4096 images of 28x28 needs at least 343.0 MiB"},
		{"complete: too many images", 1 << 20, []string{"complete", "-m", small, "-o", out, "-n", "200", "--samples", "64", "--data", "../../testdata/mnist"}, 2,
			"-n 200 --samples 64: completing 12800 images of 28x28"},
		{"eval: huge batch", 1 << 20, []string{"eval", "-m", small, "--batch", "100000", "--data", "../../testdata/mnist"}, 2,
			"--batch 100000: a forward pass of 100000 images needs at least"},
		{"audit: huge file", real, []string{"audit", huge}, 3,
			"pixelgraph: audit: cannot judge: input pixels float32[N,1,100000,100000]: the perturbation check's forward pass of 1 image needs at least"},
		{"bench: huge batch", real, []string{"bench", "--config", "tiny", "--batch", "2000000000", "--only", "forward"}, 2,
			"--batch 2000000000: a forward pass of 2000000000 images needs at least"},
		{"bench: training step", 1 << 20, []string{"bench", "--config", "tiny", "--batch", "1000", "--only", "train"}, 2,
			"--batch 1000: a training step of 1000 images needs at least"},
		{"run: batch of the input file", 1 << 20, []string{"run", "-m", small, "-i", in, "-o", out}, 2,
			"-i " + in + " (64 images): a forward pass of 64 images needs at least"},
		{"run: one image too big", 1 << 10, []string{"run", "-m", small, "-i", in, "-o", out}, 1,
			"input pixels float32[64,1,28,28]: a forward pass of 1 image needs at least"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var code int
			var stderr string
			if c.budget == real {
				code, _, stderr = pg(t, c.args...)
			} else {
				code, _, stderr = pgMem(t, c.budget, c.args...)
			}
			if code != c.code || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want exit %d containing %q", code, stderr, c.code, c.want)
			}
			if strings.Contains(stderr, "goroutine") || strings.Count(stderr, "\n") > 2 {
				t.Errorf("not a one-line error: %q", stderr)
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("a refused command wrote %s", out)
			}
		})
	}
	// inspect allocates no activations: it describes the huge file.
	if code, stdout, stderr := pg(t, "inspect", huge); code != 0 || !strings.Contains(stdout, "float32[N,1,100000,100000]") {
		t.Errorf("inspect of the huge file: exit %d, %s", code, stderr)
	}
}
