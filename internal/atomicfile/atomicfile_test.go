package atomicfile

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// files lists a folder's entries.
func files(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// deadPID returns the id of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatalf("cannot start a process: %v", err) // every system the tests run on can
	}
	return c.Process.Pid
}

func TestWriteFileReplacesAndLeavesNothing(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := filepath.Join(dir, "m.onnx")
	for _, data := range []string{"first", "second, longer"} {
		if err := WriteFile(p, []byte(data)); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(p); string(b) != data {
			t.Fatalf("read %q, want %q", b, data)
		}
		if got := files(t, dir); !slices.Equal(got, []string{"m.onnx"}) {
			t.Fatalf("folder holds %v", got)
		}
	}
}

// TestStaleTemps: the next write removes temporary files of processes that
// are gone and keeps those of running processes and names we do not make.
func TestStaleTemps(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dead := strconv.Itoa(deadPID(t))
	for _, c := range []struct {
		name string
		keep bool
	}{
		{".m.onnx.tmp" + dead + "-123", false},                    // killed writer
		{".m.onnx.tmp2817263541", false},                          // older pid-less name
		{".m.onnx.tmp" + strconv.Itoa(os.Getppid()) + "-9", true}, // running process
		{".m.onnx.tmp" + strconv.Itoa(os.Getpid()) + "-9", true},  // this process (another goroutine's write)
		{".m.onnx.tmpnotours", true},                              // not a name we make
		{".other.onnx.tmp" + dead + "-1", true},                   // another destination
	} {
		f := filepath.Join(dir, c.name)
		if err := os.WriteFile(f, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		defer func() {
			_, err := os.Stat(f)
			if kept := err == nil; kept != c.keep {
				t.Errorf("%s: kept %v, want %v", c.name, kept, c.keep)
			}
		}()
	}
	if err := WriteFile(filepath.Join(dir, "m.onnx"), []byte("new")); err != nil {
		t.Fatal(err)
	}
}

func TestSetAllOrNone(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ok, bad := filepath.Join(dir, "ok.png"), filepath.Join(dir, "nodir", "r.pb")
	var s Set
	if err := s.Add(ok, []byte("png")); err != nil {
		t.Fatal(err)
	}
	err := s.Add(bad, []byte("pb"))
	if err == nil || !strings.Contains(err.Error(), "write "+bad) {
		t.Fatalf("Add into a missing folder: %v", err)
	}
	if got := files(t, dir); len(got) != 0 {
		t.Fatalf("a failed set left %v", got)
	}
	// A complete set writes every file.
	other := filepath.Join(dir, "r.pb")
	for _, p := range []string{ok, other} {
		if err := s.Add(p, []byte(filepath.Base(p))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(ok); err == nil {
		t.Fatal("a file appeared before Commit")
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	if got := files(t, dir); !slices.Equal(got, []string{"ok.png", "r.pb"}) {
		t.Fatalf("folder holds %v", got)
	}
}

// TestChecks: CheckWritable and CheckDir accept what a write could use,
// refuse the rest naming why, and leave nothing behind.
func TestChecks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	for _, c := range []struct {
		name  string
		check func(string) error
		path  string
		err   string
	}{
		{"file: new", CheckWritable, filepath.Join(dir, "x.onnx"), ""},
		{"file: existing", CheckWritable, file, ""},
		{"file: missing folder", CheckWritable, filepath.Join(dir, "nodir", "x.onnx"), "no such file or directory"},
		{"file: a folder", CheckWritable, dir, "is a directory"},
		{"file: below a file", CheckWritable, filepath.Join(file, "x"), "not a directory"},
		{"folder: existing", CheckDir, dir, ""},
		{"folder: to be made", CheckDir, filepath.Join(dir, "a", "b"), ""},
		{"folder: a file", CheckDir, file, "is not a folder"},
		{"folder: below a file", CheckDir, filepath.Join(file, "a"), "is not a folder"},
	} {
		err := c.check(c.path)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: %v, want %q", c.name, err, c.err)
		}
	}
	if got := files(t, dir); !slices.Equal(got, []string{"f"}) {
		t.Fatalf("the checks left %v", got)
	}
}
