package main

import (
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// benchOutput is the parsed output of `pixelgraph bench --json`.
type benchOutput struct {
	lines  map[string]map[string]any // by "bench/engine" (with "@batch" past the first batch)
	ratios map[string]map[string]any // by "bench ratio"
	peak   map[string]any
}

// parseBench parses the JSON lines of `pixelgraph bench --json` and checks
// what every line must have: a measurement line names bench and engine
// and has a positive img_per_s or seconds, >= 3 reps and positive GFLOP/s
// figures, or an error (which the caller judges); a ratio line has rounds
// and min <= median <= max.
func parseBench(t *testing.T, out string) benchOutput {
	t.Helper()
	o := benchOutput{lines: map[string]map[string]any{}, ratios: map[string]map[string]any{}}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("line %q is not JSON: %v", line, err)
		}
		bn, _ := m["bench"].(string)
		if r, ok := m["ratio"].(string); ok {
			key := bn + " " + r
			if _, dup := o.ratios[key]; dup {
				key += " " + jsonNum(m["batch"])
			}
			o.ratios[key] = m
			med, lo, hi := m["median"].(float64), m["min"].(float64), m["max"].(float64)
			if rounds, _ := m["rounds"].(float64); rounds < 3 || !(lo > 0 && lo <= med && med <= hi) {
				t.Errorf("ratio %s: rounds %v, min %v, median %v, max %v", key, m["rounds"], lo, med, hi)
			}
			if _, ok := m["holds"].(bool); !ok || m["goal"] == "" {
				t.Errorf("ratio %s: no goal or verdict: %s", key, line)
			}
			continue
		}
		eng, _ := m["engine"].(string)
		if bn == "" || eng == "" {
			t.Fatalf("line %q lacks bench or engine", line)
		}
		if bn == "peak" {
			o.peak = m
			continue
		}
		key := bn + "/" + eng
		if _, dup := o.lines[key]; dup {
			key += "@" + jsonNum(m["batch"])
		}
		if _, dup := o.lines[key]; dup {
			t.Fatalf("two lines for %s", key)
		}
		o.lines[key] = m
		if _, ok := m["error"]; ok {
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
		for _, f := range []string{"img_per_s", "seconds", "cpu_img_per_s", "cpu_seconds", "peak_rss_mb", "gflop_s_live", "gflop_s_dense", "peak_share_live", "peak_share_dense"} {
			if v, ok := m[f]; ok {
				if x, _ := v.(float64); !(x > 0) {
					t.Errorf("%s: %s = %v, want > 0", key, f, v)
				}
			}
		}
		// Live taps are a subset of all taps: the same time, less work.
		if live, dense := m["gflop_s_live"].(float64), m["gflop_s_dense"].(float64); !(live > 0 && live < dense) {
			t.Errorf("%s: gflop_s_live %v, gflop_s_dense %v; want 0 < live < dense (masks remove taps)", key, live, dense)
		}
	}
	return o
}

func jsonNum(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// tinyParams is the tiny config's parameter count, by hand: filters 8,
// hidden 4, head 8, q 4, one block:
//
//	in 8·1·7·7+8 = 400; a 4·8+4 = 36; b 4·4·3·3+4 = 148; c 8·4+8 = 40;
//	out1, out2 8·8+8 = 72 each; logits 4·8+4 = 36: 804.
const tinyParams = 804

// TestBenchSelfTest runs the whole bench on the tiny config the way CI
// does (ONNX Runtime and PyTorch installed; without them the test fails
// through testenv.Unavailable, on CI always) and checks that it measured
// what it claims: every engine line is there and none has an error, the
// engines compute the same function (Go vs ORT logits within 1e-4 on the
// forward bench's input; the PyTorch twin, loaded with our weights, within
// 1e-4 on the train bench's batch, and with our parameter count), every
// goal ratio is printed, and the efficiency figures are consistent.
func TestBenchSelfTest(t *testing.T) {
	testenv.ORTLibrary(t)
	testenv.InitORT(t) // fails (or skips outside CI with the opt-out) in a CGO_ENABLED=0 build
	testenv.Torch(t)
	t.Setenv("PIXELGRAPH_BENCH_GAP", "10ms") // the pause matters for timing, not for what is checked here
	code, out, stderr := pg(t, "bench", "--config", "tiny", "--batch", "2", "--threads", "1", "--json", "--budget", "100ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	o := parseBench(t, out)
	want := []string{"forward/go", "forward/ort", "sample16/go-cached", "sample16/go-forward", "sample16/ort-naive", "train/gorgonia", "train/pytorch"}
	for _, k := range want {
		m, ok := o.lines[k]
		switch {
		case !ok:
			t.Errorf("no %s line in\n%s", k, out)
		case m["error"] != nil:
			t.Errorf("%s: error %v", k, m["error"])
		}
	}
	if len(o.lines) != len(want) {
		t.Errorf("%d lines, want %d:\n%s", len(o.lines), len(want), out)
	}

	// Float32 forward passes of the same tiny network: sums of at most 49
	// products of values below 1, so rounding differences are ~1e-7; 1e-4
	// is the bound and leaves room for another summation order.
	const tol = 1e-4
	for _, k := range []string{"forward/ort", "train/pytorch"} {
		d, ok := o.lines[k]["max_abs_diff"].(float64)
		if !ok || !(d <= tol) {
			t.Errorf("%s: max_abs_diff %v, want <= %g (the engines must compute the same logits)", k, o.lines[k]["max_abs_diff"], tol)
		}
	}
	for _, k := range []string{"train/gorgonia", "train/pytorch"} {
		if p := o.lines[k]["params"]; p != float64(tinyParams) {
			t.Errorf("%s: params %v, want %d", k, p, tinyParams)
		}
	}
	if m := o.lines["train/gorgonia"]; m != nil && m["batch"] != 2.0 {
		t.Errorf("gorgonia line batch %v, want 2", m["batch"])
	}
	if m := o.lines["sample16/ort-naive"]; m != nil {
		// tiny is 8x8: the rounds cover the 64 passes or the line says
		// from how many pixels it extrapolated.
		if n, ok := m["extrapolated_from_pixels"].(float64); ok && (n < 3 || n >= 64) {
			t.Errorf("extrapolated_from_pixels = %v", n)
		}
	}

	for _, k := range []string{"forward go/ort", "train gorgonia/pytorch", "sample16 ort-naive/go-cached", "sample16 go-cached/go-forward"} {
		if _, ok := o.ratios[k]; !ok {
			t.Errorf("no ratio line %q in\n%s", k, out)
		}
	}
	if len(o.ratios) != 4 {
		t.Errorf("%d ratio lines, want 4:\n%s", len(o.ratios), out)
	}

	// The peak is a measured FMA rate of one of our loops, and every share
	// is its line's rate over that peak.
	if o.peak == nil {
		t.Fatalf("no peak line in\n%s", out)
	}
	pk, _ := o.peak["gflop_s"].(float64)
	if loop := o.peak["engine"]; !(pk > 0) || (loop != "avx512-fma" && loop != "avx2-fma" && loop != "go-scalar") {
		t.Errorf("peak line %v", o.peak)
	}
	for k, m := range o.lines {
		if _, failed := m["error"]; failed {
			continue // reported above; an error line carries no rates
		}
		for _, s := range []string{"live", "dense"} {
			g, okG := m["gflop_s_"+s].(float64)
			share, okS := m["peak_share_"+s].(float64)
			if !okG || !okS {
				t.Errorf("%s: gflop_s_%s %v, peak_share_%s %v: want both numbers", k, s, m["gflop_s_"+s], s, m["peak_share_"+s])
				continue
			}
			if !(math.Abs(share-g/pk) <= 1e-9*g/pk) {
				t.Errorf("%s: peak_share_%s %v, want gflop_s_%s / peak = %v", k, s, share, s, g/pk)
			}
		}
	}
}

// TestBenchChecksCanFail plants a wrong engine and a wrong twin: the
// bench's agreement checks must see them.
func TestBenchChecksCanFail(t *testing.T) {
	m, _ := findBenchModel("tiny")
	f := benchFlags{config: "tiny", levels: 4, threads: 1, budget: 1, asJSON: true}
	var sink strings.Builder
	b, err := newBenchRun(t.Context(), &env{stdout: &sink, stderr: &sink}, f, m)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("an engine with other logits", func(t *testing.T) {
		if err := b.forward(&offByEngine{b: b, delta: 1e-3}, nil, 2); err != nil {
			t.Fatal(err)
		}
		l := b.lines[len(b.lines)-1]
		if l.Engine != "ort" || l.MaxAbsDiff == nil || !(math.Abs(*l.MaxAbsDiff-1e-3) <= 1e-6) {
			t.Fatalf("line %+v: want the engine's max_abs_diff to be the planted 1e-3", l)
		}
	})

	t.Run("a twin with other weights", func(t *testing.T) {
		testenv.Torch(t)
		py, err := b.startPytorch(2)
		if err != nil {
			t.Fatal(err)
		}
		defer py.close()
		pl := benchLine{Engine: "pytorch"}
		if pl.Version, pl.Params, err = py.ready(); err != nil {
			t.Fatal(err)
		}
		_, x := b.levels(2, 2)
		fwd, err := b.goForward(x)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fwd()
		if err != nil {
			t.Fatal(err)
		}
		// The right weights agree; one changed weight of the head does not.
		if err := b.checkTwin(py, &pl, x, want); err != nil || pl.MaxAbsDiff == nil || *pl.MaxAbsDiff > 1e-4 {
			t.Fatalf("unchanged weights: max_abs_diff %v, %v", pl.MaxAbsDiff, err)
		}
		w := b.g.Inits[len(b.g.Inits)-2] // head/logits/W
		old := w.Const.F32[0]
		w.Const.F32[0] += 0.5
		err = b.checkTwin(py, &pl, x, want)
		w.Const.F32[0] = old
		if err != nil || pl.MaxAbsDiff == nil || *pl.MaxAbsDiff < 1e-3 {
			t.Fatalf("head/logits/W[0] + 0.5: max_abs_diff %v, %v; want a visible difference", pl.MaxAbsDiff, err)
		}
		// A model with a parameter the twin does not have fails the check.
		b.g.Inits = append(b.g.Inits, &graph.Value{Name: "extra/W", Const: graph.NewFloat32([]int{2}, []float32{1, 2})})
		defer func() { b.g.Inits = b.g.Inits[:len(b.g.Inits)-1] }()
		if err := b.checkTwin(py, &pl, x, want); err == nil || !strings.Contains(err.Error(), "extra/W") {
			t.Fatalf("an extra parameter: error %v, want one naming extra/W", err)
		}
	})
}

// offByEngine is a forwardEngine that returns the Go runtime's logits with
// delta added to the last one.
type offByEngine struct {
	b     *benchRun
	delta float32
}

func (e *offByEngine) Forward(x []float32, n int) ([]float32, error) {
	fwd, err := e.b.goForward(graph.NewFloat32([]int{n, 1, e.b.geo.H, e.b.geo.W}, x))
	if err != nil {
		return nil, err
	}
	y, err := fwd()
	if err != nil {
		return nil, err
	}
	y[len(y)-1] += e.delta
	return y, nil
}
func (e *offByEngine) Version() string { return "planted" }
func (e *offByEngine) Close() error    { return nil }

func TestBenchTableAndMissingORT(t *testing.T) {
	code, out, stderr := pg(t, "bench", "--config", "tiny", "--batch", "1,2", "--budget", "50ms", "--no-pytorch",
		"--ort", "/nonexistent/libonnxruntime.so", "--only", "forward,sample16")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"core peak:", "GFLOP/s", "%peak", "forward   go", "forward   ort", "error: --ort /nonexistent/libonnxruntime.so is not a file",
		"batch 1", "batch 2", "sample16  go-cached", "sample16  go-forward", "ratios", "forward go/ort, batch 1", "forward go/ort, batch 2",
		"sample16 go-cached/go-forward, batch 16", "n/a"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "train     gorgonia") {
		t.Errorf("--only forward,sample16 ran train:\n%s", out)
	}
}

// TestBenchMissingPython: a python that is not there gives an error line,
// not a failed run (the user sees what is missing).
func TestBenchMissingPython(t *testing.T) {
	code, out, _ := pg(t, "bench", "--config", "tiny", "--batch", "1", "--json", "--budget", "10ms", "--only", "train", "--python", "/nonexistent/python3")
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
		{[]string{"--config", "huge"}, "--config must be seed, small, tiny, gated or gated-tiny"},
		{[]string{"--threads", "0"}, "--threads must be > 0"},
		{[]string{"--batch", "0"}, "--batch must be > 0"},
		{[]string{"--batch", "-3"}, "--batch must be > 0"},
		{[]string{"--batch", "16,x"}, `--batch: "x" is not a number of images`},
		{[]string{"--batch", "16,16"}, "--batch: 16 twice"},
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

// TestBenchTwinScriptStandalone: the script alone (no --serve) still
// prints its one line, for a bare graph.Config as before.
func TestBenchTwinScriptStandalone(t *testing.T) {
	py := testenv.Torch(t)
	m, _ := findBenchModel("tiny")
	_, cfg, err := m.build(4)
	if err != nil {
		t.Fatal(err)
	}
	cj, _ := json.Marshal(cfg)
	res, err := runScript(py, pytorchBench, string(cj), "1", "1", "0.01")
	if err != nil {
		t.Fatal(err)
	}
	var l map[string]any
	if err := json.Unmarshal(res, &l); err != nil {
		t.Fatalf("%q: %v", res, err)
	}
	if l["engine"] != "pytorch" || l["params"] != float64(tinyParams) || !(l["img_per_s"].(float64) > 0) {
		t.Errorf("standalone line %v", l)
	}
}

// runScript runs python -c script args and returns its stdout.
func runScript(py string, script []byte, args ...string) ([]byte, error) {
	cmd := exec.Command(py, append([]string{"-c", string(script)}, args...)...)
	cmd.Stderr = os.Stderr
	return cmd.Output()
}

// gatedTinyParams is the gated-tiny config's parameter count, by hand:
// filters c 4, layers 2, head 8, q 4, kernels 7 and 3:
//
//	g00: v 8·1·7·7+8 = 400, link 8·8+8 = 72, h 8·1·1·7+8 = 64, skip and res 4·4+4 = 20 each: 576;
//	g01: v 8·4·3·3+8 = 296, link 72, h 8·4·1·3+8 = 104, skip 20 (no res: the last layer): 492;
//	head: out 8·4+8 = 40, logits 4·8+4 = 36: 1144.
const gatedTinyParams = 1144

// TestBenchGated runs the bench on the gated-tiny config: the Go runtime
// and ONNX Runtime compute the same logits, the PyTorch twin (the "gated"
// twin of testdata/pytorch_bench.py: vertical/horizontal masks, chunked
// gates, link, residual and skip) loaded with our weights the same logits
// and has our parameter count, and the ratios carry issue 16's goals.
func TestBenchGated(t *testing.T) {
	testenv.ORTLibrary(t)
	testenv.InitORT(t)
	testenv.Torch(t)
	t.Setenv("PIXELGRAPH_BENCH_GAP", "10ms")
	code, out, stderr := pg(t, "bench", "--config", "gated-tiny", "--batch", "2", "--threads", "1", "--json", "--budget", "100ms")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	o := parseBench(t, out)
	for _, k := range []string{"forward/go", "forward/ort", "sample16/go-cached", "sample16/ort-naive", "train/gorgonia", "train/pytorch"} {
		if m, ok := o.lines[k]; !ok || m["error"] != nil {
			t.Errorf("%s: %v", k, m)
		}
	}
	for _, k := range []string{"forward/ort", "train/pytorch"} {
		if d, ok := o.lines[k]["max_abs_diff"].(float64); !ok || !(d <= 1e-4) {
			t.Errorf("%s: max_abs_diff %v, want <= 1e-4", k, o.lines[k]["max_abs_diff"])
		}
	}
	for _, k := range []string{"train/gorgonia", "train/pytorch"} {
		if p := o.lines[k]["params"]; p != float64(gatedTinyParams) {
			t.Errorf("%s: params %v, want %d", k, p, gatedTinyParams)
		}
	}
	for k, goal := range map[string]string{"forward go/ort": ">= 1.2", "train gorgonia/pytorch": ">= 1.2", "sample16 ort-naive/go-cached": ">= 200"} {
		if r, ok := o.ratios[k]; !ok || r["goal"] != goal {
			t.Errorf("ratio %s: %v, want goal %s", k, r, goal)
		}
	}
}
