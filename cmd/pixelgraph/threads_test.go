package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestThreadsFlag: every command that runs a model takes --threads (issue
// 11's one knob), refuses a bad count as a usage error before any work, and
// the thread count does not change what is drawn.
func TestThreadsFlag(t *testing.T) {
	t.Parallel()
	model := writeModel(t, tinyConfig(4), nil)
	dir := t.TempDir()
	in := filepath.Join(dir, "in.pb")
	if code, _, stderr := pg(t, "tensor", "-m", model, "-n", "2", "-o", in); code != 0 {
		t.Fatalf("tensor: exit %d: %s", code, stderr)
	}
	out := filepath.Join(dir, "s.png")
	for _, args := range [][]string{
		{"sample", "-m", model, "-o", out},
		{"complete", "-m", model, "-o", out},
		{"eval", "-m", model},
		{"audit", model},
		{"run", "-m", model, "-i", in, "-o", filepath.Join(dir, "out")},
		{"agreement", "-m", model},
	} {
		for _, bad := range []string{"-1", "100000"} {
			code, _, stderr := pg(t, append(args, "--threads", bad)...)
			if code != 2 || !strings.Contains(stderr, "--threads must be in 0..1024, got "+bad) {
				t.Errorf("%s --threads %s: exit %d, stderr %q; want exit 2 naming --threads", args[0], bad, code, stderr)
			}
		}
	}
	var raws [][]byte
	for _, th := range []string{"1", "2"} {
		raw := filepath.Join(dir, "levels"+th+".pb")
		args := []string{"sample", "-m", model, "-o", filepath.Join(dir, "s"+th+".png"), "-n", "3", "--raw", raw, "--threads", th, "-q"}
		if code, _, stderr := pg(t, args...); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, stderr)
		}
		b, err := os.ReadFile(raw)
		if err != nil {
			t.Fatal(err)
		}
		raws = append(raws, b)
	}
	if !bytes.Equal(raws[0], raws[1]) {
		t.Error("sample --threads 1 and --threads 2 drew different levels")
	}
}
