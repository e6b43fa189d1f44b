package main

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/train"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// pixelgraphBinary builds the command once per test process (into a folder
// removed by TestMain) for tests that need a real process: signals, exit
// codes as the shell sees them, README commands.
func pixelgraphBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pixelgraph-bin-")
		if err != nil {
			binErr = err
			return
		}
		binDir = dir
		binPath = filepath.Join(dir, "pixelgraph")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err, string(out)}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

var binDir string

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "go build: " + e.err.Error() + "\n" + e.out }

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// TestSignalCheckpoints: SIGTERM and Ctrl-C (SIGINT) stop training after
// the current step, write a resumable checkpoint and exit 143 and 130.
func TestSignalCheckpoints(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and trains")
	}
	t.Parallel()
	bin := pixelgraphBinary(t)
	for _, c := range []struct {
		sig  syscall.Signal
		code int
	}{{syscall.SIGTERM, 143}, {syscall.SIGINT, 130}} {
		t.Run(c.sig.String(), func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			m := filepath.Join(dir, "m.onnx")
			stale := filepath.Join(dir, ".m.onnx.tmp12345") // as a kill -9 during a write leaves
			os.WriteFile(stale, []byte("partial"), 0o644)
			cmd := exec.Command(bin, append([]string{"train", "-o", m, "--batch", "2", "--epochs", "100000"}, tinyModel...)...)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// Signal once the first epoch (256 images of testdata/mnist) has
			// ended: training is then surely under way.
			lines := make(chan string, 100)
			go func() {
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
				close(lines)
			}()
			var all []string
			for l := range lines {
				all = append(all, l)
				if strings.HasPrefix(l, "epoch 1 step") {
					break
				}
			}
			if err := cmd.Process.Signal(c.sig); err != nil {
				t.Fatal(err)
			}
			for l := range lines {
				all = append(all, l)
			}
			err = cmd.Wait()
			code := cmd.ProcessState.ExitCode()
			msg := strings.Join(all, "\n")
			if code != c.code || !strings.Contains(msg, "interrupted at step") || !strings.Contains(msg, "checkpoint written to "+m) {
				t.Fatalf("exit %d (%v), want %d; stderr:\n%s", code, err, c.code, msg)
			}
			ck, err := train.LoadCheckpoint(m)
			if err != nil {
				t.Fatalf("checkpoint after %v: %v", c.sig, err)
			}
			if ck.Adam.Step == 0 || ck.Adam.M == nil {
				t.Errorf("checkpoint at step %d, moments %v", ck.Adam.Step, ck.Adam.M != nil)
			}
			if _, err := os.Stat(stale); err == nil {
				t.Error("the stale temporary file of a killed write is still there")
			}
			if es, _ := os.ReadDir(dir); len(es) != 1 {
				t.Errorf("folder holds %d files, want the checkpoint alone", len(es))
			}
		})
	}
}

// TestBinaryExitCodes: the codes as a shell sees them.
func TestBinaryExitCodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := pixelgraphBinary(t)
	dir := t.TempDir()
	model := filepath.Join(dir, "m.onnx")
	g, err := graph.PixelCNN(tinyConfig(4))
	if err != nil {
		t.Fatal(err)
	}
	if err := export.WriteFile(model, g, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{nil, 2, "usage: pixelgraph <command>"},
		{[]string{"version"}, 0, ""},
		{[]string{"audit", "-q", "--structural-only", model}, 0, ""},
		{[]string{"audit", "-q", filepath.Join(dir, "none.onnx")}, 3, "cannot judge"},
		{[]string{"export", "--filters", "99999999", "-o", filepath.Join(dir, "x.onnx")}, 2, "--filters 99999999"},
		{[]string{"inspect", filepath.Join(dir, "none.onnx")}, 1, "pixelgraph: inspect: "},
	} {
		cmd := exec.Command(bin, c.args...)
		var se strings.Builder
		cmd.Stderr = &se
		cmd.Stdout = io.Discard
		cmd.Run()
		if code := cmd.ProcessState.ExitCode(); code != c.code || !strings.Contains(se.String(), c.stderr) || strings.Contains(se.String(), "goroutine ") {
			t.Errorf("%v: exit %d, stderr %q; want %d with %q", c.args, code, se.String(), c.code, c.stderr)
		}
	}
}
