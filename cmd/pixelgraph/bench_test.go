package main

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

// benchLines parses the JSON lines of `pixelgraph bench --json` and checks
// the fields every line must have: bench, engine, and a positive img_per_s
// or seconds (or an error, allowed only for the engines that depend on
// something outside Go).
func benchLines(t *testing.T, out string) map[string]map[string]any {
	t.Helper()
	got := map[string]map[string]any{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		bn, _ := m["bench"].(string)
		eng, _ := m["engine"].(string)
		if bn == "" || eng == "" {
			t.Fatalf("line %q lacks bench or engine", line)
		}
		key := bn + "/" + eng
		if _, dup := got[key]; dup {
			t.Fatalf("two lines for %s", key)
		}
		got[key] = m
		if e, ok := m["error"]; ok {
			if eng != "ort" && eng != "ort-naive" && eng != "pytorch" {
				t.Errorf("%s: error %v", key, e)
			}
			continue
		}
		ips, _ := m["img_per_s"].(float64)
		sec, _ := m["seconds"].(float64)
		if !(ips > 0 || sec > 0) {
			t.Errorf("%s: neither img_per_s nor seconds is positive: %q", key, line)
		}
		if reps, _ := m["reps"].(float64); reps < 3 {
			t.Errorf("%s: %v reps, want >= 3", key, m["reps"])
		}
		for _, f := range []string{"img_per_s", "seconds", "cpu_img_per_s", "cpu_seconds", "peak_rss_mb"} {
			if v, ok := m[f]; ok {
				if x, _ := v.(float64); !(x > 0) {
					t.Errorf("%s: %s = %v, want > 0", key, f, v)
				}
			}
		}
	}
	return got
}

func TestBenchJSON(t *testing.T) {
	code, out, stderr := pg(t, "bench", "--config", "tiny", "--batch", "2", "--threads", "1", "--json", "--budget", "100ms", "--no-pytorch")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := benchLines(t, out)
	for _, k := range []string{"forward/go", "forward/ort", "train/gorgonia", "sample16/go-cached", "sample16/ort-naive"} {
		if _, ok := got[k]; !ok {
			t.Errorf("no %s line in\n%s", k, out)
		}
	}
	if _, ok := got["train/pytorch"]; ok {
		t.Error("--no-pytorch printed a pytorch line")
	}
	if len(got) != 5 {
		t.Errorf("%d lines, want 5:\n%s", len(got), out)
	}
	if m := got["train/gorgonia"]; m != nil && m["batch"] != 2.0 {
		t.Errorf("gorgonia line batch %v, want 2", m["batch"])
	}
	if m := got["sample16/ort-naive"]; m != nil && m["error"] == nil {
		// tiny is 8x8: the budget covers the 64 passes or the line says
		// from how many pixels it extrapolated.
		if n, ok := m["extrapolated_from_pixels"].(float64); ok && (n < 3 || n >= 64) {
			t.Errorf("extrapolated_from_pixels = %v", n)
		}
	}
}

func TestBenchTableAndMissingORT(t *testing.T) {
	code, out, stderr := pg(t, "bench", "--config", "tiny", "--batch", "1", "--budget", "50ms", "--no-pytorch",
		"--ort", "/nonexistent/libonnxruntime.so", "--only", "forward,sample16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"forward   go", "forward   ort", "error: --ort /nonexistent/libonnxruntime.so is not a file", "sample16  go-cached", "ratios", "forward go/ort", "n/a"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "train     gorgonia") {
		t.Errorf("--only forward,sample16 ran train:\n%s", out)
	}
}

// TestBenchPytorch runs the embedded PyTorch script on the tiny model (it
// needs /usr/bin/python3 with torch; without it the line must carry an error).
func TestBenchPytorch(t *testing.T) {
	if testing.Short() {
		t.Skip("starts python and imports torch")
	}
	code, out, stderr := pg(t, "bench", "--config", "tiny", "--batch", "2", "--json", "--budget", "100ms", "--only", "train")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	got := benchLines(t, out)
	p := got["train/pytorch"]
	if p == nil {
		t.Fatalf("no pytorch line:\n%s", out)
	}
	if err := exec.Command("/usr/bin/python3", "-c", "import torch").Run(); err != nil {
		if p["error"] == nil {
			t.Errorf("python3 cannot import torch (%v) but the line has no error: %v", err, p)
		}
		return
	}
	if p["error"] != nil || !(p["img_per_s"].(float64) > 0) || !(p["peak_rss_mb"].(float64) > 0) {
		t.Errorf("pytorch line %v", p)
	}
	// A python that is not there gives an error line, not a failure.
	code, out, _ = pg(t, "bench", "--config", "tiny", "--batch", "1", "--json", "--budget", "10ms", "--only", "train", "--python", "/nonexistent/python3")
	if code != 0 || !strings.Contains(out, `"engine":"pytorch"`) || !strings.Contains(out, `"error"`) {
		t.Errorf("missing python: exit %d, %s", code, out)
	}
}

func TestBenchUsageErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--config", "huge"}, "--config must be seed, small or tiny"},
		{[]string{"--threads", "0"}, "--threads must be > 0"},
		{[]string{"--batch", "0"}, "--batch must be > 0"},
		{[]string{"--batch", "-3"}, "--batch must be > 0"},
		{[]string{"--levels", "1"}, "--levels must be in 2..256"},
		{[]string{"--budget", "0s"}, "--budget must be > 0"},
		{[]string{"--only", "forward,backward"}, `--only: unknown bench "backward"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--bogus"}, "bogus"},
	} {
		code, out, stderr := pg(t, append([]string{"bench"}, c.args...)...)
		if code != 2 || !strings.Contains(stderr, c.want) || out != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want exit 2 with %q", c.args, code, out, stderr, c.want)
		}
	}
}
