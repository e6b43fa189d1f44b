package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/runtime"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
	"github.com/pixelgraph/pixelgraph/train"
)

func init() {
	register(&command{
		name:  "bench",
		args:  "[--config seed|small|tiny] [--levels Q] [--batch B] [--threads T] [--ort LIBPATH] [--budget D] [--only LIST] [--no-pytorch] [--json]",
		short: "time forward (Go vs ONNX Runtime), a training step (gorgonia vs PyTorch) and sampling 16 images (cached vs ORT naive) in one run",
		run:   runBench,
	})
}

// pytorchBench is the PyTorch twin of train.Trainer.Step, run as
// `python3 -c SCRIPT CONFIG BATCH THREADS BUDGET --serve`.
//
//go:embed testdata/pytorch_bench.py
var pytorchBench []byte

// Bench names and the engines each runs.
const (
	benchForward  = "forward"
	benchTrain    = "train"
	benchSample16 = "sample16"
)

// ortLibRel is where scripts/install-test-deps.sh puts libonnxruntime,
// relative to the module root.
const ortLibRel = ".deps/ort/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1"

// benchConfigs are the models --config names.
var benchConfigs = map[string]func() graph.Config{
	"seed": graph.DefaultConfig,
	// The small model: pixelgraph train --filters 32 --hidden 16 --blocks 3.
	"small": func() graph.Config {
		c := graph.DefaultConfig()
		c.Filters, c.Hidden, c.Blocks = 32, 16, 3
		return c
	},
	// A model for tests of the command itself: seconds for everything.
	"tiny": func() graph.Config {
		c := graph.DefaultConfig()
		c.Filters, c.Hidden, c.Blocks, c.Head, c.Height, c.Width = 8, 4, 1, 8, 8, 8
		return c
	},
}

// benchLine is one measurement, one JSON object per line.
type benchLine struct {
	Bench      string  `json:"bench"`
	Engine     string  `json:"engine"`
	ImgPerS    float64 `json:"img_per_s,omitempty"`
	Seconds    float64 `json:"seconds,omitempty"`
	CPUImgPerS float64 `json:"cpu_img_per_s,omitempty"`
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	Reps       int     `json:"reps,omitempty"`
	// ExtrapolatedFrom: Seconds is the median pass time of this many timed
	// pixels (forward passes) times H·W.
	ExtrapolatedFrom int     `json:"extrapolated_from_pixels,omitempty"`
	PeakRSSMB        float64 `json:"peak_rss_mb,omitempty"`
	// StartRSSMB: the process's RSS when the bench started (after a GC),
	// which PeakRSSMB includes.
	StartRSSMB float64 `json:"start_rss_mb,omitempty"`
	Config     string  `json:"config,omitempty"`
	Levels     int     `json:"levels,omitempty"`
	Batch      int     `json:"batch,omitempty"`
	Threads    int     `json:"threads,omitempty"`
	Backend    string  `json:"backend,omitempty"` // SGEMM of the Go kernels
	Conv       string  `json:"conv,omitempty"`    // the Go runtime's conv kernel (forward)
	Version    string  `json:"version,omitempty"` // ONNX Runtime's or PyTorch's
	Load1      float64 `json:"load1,omitempty"`   // 1-minute load average when the bench started
	Error      string  `json:"error,omitempty"`
}

type benchFlags struct {
	config, ort, only, python string
	levels, batch, threads    int
	budget                    time.Duration
	noPytorch, asJSON         bool
	maxRSSMB                  int
}

// forwardEngine runs a model's forward pass on n images (n·H·W floats,
// level/(q−1)) and returns the logits (n·q·H·W), valid until the next call.
type forwardEngine interface {
	Forward(x []float32, n int) ([]float32, error)
	Version() string
	Close() error
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["bench"], e)
	var f benchFlags
	fs.StringVar(&f.config, "config", "seed", "model: seed (graph.DefaultConfig), small (filters 32, hidden 16, blocks 3) or tiny (filters 8, hidden 4, blocks 1, head 8, 8x8; for tests)")
	fs.IntVar(&f.levels, "levels", 4, "intensity levels q")
	fs.IntVar(&f.batch, "batch", 16, "images per forward pass and per training step (sample16 always samples 16)")
	fs.IntVar(&f.threads, "threads", 1, "threads for every engine: GOMAXPROCS and the Go kernels, ORT's intra-op threads, torch.set_num_threads")
	fs.StringVar(&f.ort, "ort", "", "libonnxruntime path (default: $PIXELGRAPH_ORT_LIB, else "+ortLibRel+" under the module root or the current directory)")
	fs.DurationVar(&f.budget, "budget", 20*time.Second, "time to spend per bench and engine; at least 3 repetitions run after a warm-up whatever it is")
	fs.StringVar(&f.only, "only", "", "comma-separated benches to run (forward,train,sample16); default all")
	fs.BoolVar(&f.noPytorch, "no-pytorch", false, "skip the PyTorch training step")
	fs.StringVar(&f.python, "python", "", "python with torch for the PyTorch step (default: $PIXELGRAPH_PYTHON, else /usr/bin/python3)")
	fs.IntVar(&f.maxRSSMB, "max-rss-mb", 0, "abort (exit 1) when this process's RSS exceeds this many MB; 0 = 90% of MemAvailable at start, < 0 = no limit")
	fs.BoolVar(&f.asJSON, "json", false, "one JSON object per line instead of a table: "+
		`{"bench":"forward|train|sample16","engine":…,"img_per_s"|"seconds":…,"cpu_img_per_s"|"cpu_seconds":…,"reps":N,…}; `+
		"figures are medians of repetitions after a warm-up (engines alternate run by run, with a 100 ms untimed pause before each, "+
		"$PIXELGRAPH_BENCH_GAP); cpu_* divide by the process's CPU time instead of wall time "+
		"(robust to a loaded machine); peak_rss_mb is the process-wide peak RSS (VmHWM) from the start of the train bench, "+
		"start_rss_mb what the process held then (PyTorch: its own process's VmHWM); "+
		"backend is the Go kernels' SGEMM, conv the Go runtime's conv kernel")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	mk, ok := benchConfigs[f.config]
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case !ok:
		return usagef("--config must be seed, small or tiny, got %q", f.config)
	case f.levels < 2 || f.levels > 256:
		return usagef("--levels must be in 2..256, got %d", f.levels)
	case f.batch <= 0:
		return usagef("--batch must be > 0, got %d", f.batch)
	case f.threads <= 0:
		return usagef("--threads must be > 0, got %d", f.threads)
	case f.budget <= 0:
		return usagef("--budget must be > 0, got %v", f.budget)
	}
	run := map[string]bool{benchForward: true, benchTrain: true, benchSample16: true}
	if f.only != "" {
		clear(run)
		for _, b := range strings.Split(f.only, ",") {
			b = strings.TrimSpace(b)
			if b != benchForward && b != benchTrain && b != benchSample16 {
				return usagef("--only: unknown bench %q (want forward, train, sample16)", b)
			}
			run[b] = true
		}
	}
	cfg := mk()
	cfg.Levels = f.levels
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		return err
	}

	// --threads governs every engine; restore the process's settings after.
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(f.threads))
	runtime.SetThreads(f.threads)
	defer runtime.SetThreads(0)

	b := &benchRun{ctx: ctx, e: e, f: f, cfg: cfg, g: g, opts: bench.Options{Budget: f.budget}}
	stop := b.watchRSS()
	defer stop()
	if !f.asJSON {
		fmt.Fprintf(e.stdout, "pixelgraph bench: config %s (filters %d, hidden %d, blocks %d, head %d, %dx%d, q=%d), batch %d, threads %d, budget %v\n",
			f.config, cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head, cfg.Height, cfg.Width, cfg.Levels, f.batch, f.threads, f.budget)
		fmt.Fprintf(e.stdout, "Go kernels: %s; runtime convs: %s\n\n", kernels.Backend(), convKernel())
		fmt.Fprintf(e.stdout, "%-9s %-10s %10s %10s %12s %12s %5s %9s %6s  %s\n",
			"bench", "engine", "img/s", "seconds", "cpu-img/s", "cpu-seconds", "reps", "peak MB", "load1", "note")
	}

	ortLib, ortErr := resolveORTLib(f.ort)
	var model []byte
	if ortErr == nil {
		if model, err = export.Marshal(g, nil); err != nil {
			return err
		}
	}
	var ortEng forwardEngine
	if (run[benchForward] || run[benchSample16]) && ortErr == nil {
		ortEng, ortErr = newORTEngine(ortLib, model, f.threads, cfg)
	}
	closeORT := func() {
		if ortEng != nil {
			ortEng.Close()
			ortEng = nil
		}
	}
	defer closeORT()

	if run[benchForward] {
		if err := b.forward(ortEng, ortErr); err != nil {
			return err
		}
	}
	if run[benchSample16] {
		if err := b.sample16(ortEng, ortErr); err != nil {
			return err
		}
	}
	if run[benchTrain] {
		closeORT() // not part of training's memory
		if err := b.train(); err != nil {
			return err
		}
	}
	if !f.asJSON {
		b.printRatios()
	}
	return ctx.Err()
}

// benchRun holds one invocation's settings and the lines printed so far.
type benchRun struct {
	ctx   context.Context
	e     *env
	f     benchFlags
	cfg   graph.Config
	g     *graph.Graph
	opts  bench.Options
	mu    sync.Mutex // guards lines and cur (the RSS watchdog reads cur)
	lines []benchLine
	cur   benchLine
}

// start returns a line for bench/engine with the run's settings, and
// records it as the one running (for the RSS watchdog's message).
func (b *benchRun) start(bn, engine string, batch int) benchLine {
	l := benchLine{Bench: bn, Engine: engine, Config: b.f.config, Levels: b.cfg.Levels, Batch: batch, Threads: b.f.threads}
	if la, ok := bench.LoadAvg(); ok {
		l.Load1 = la[0]
	}
	b.mu.Lock()
	b.cur = l
	b.mu.Unlock()
	return l
}

// emit prints l (as JSON or as a table row) and keeps it for the ratios.
func (b *benchRun) emit(l benchLine) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.lines = append(b.lines, l)
	if b.f.asJSON {
		j, _ := json.Marshal(l)
		fmt.Fprintln(b.e.stdout, string(j))
		return
	}
	num := func(v float64, prec int) string {
		switch {
		case v == 0:
			return "-"
		case prec < 0: // seconds: 4 significant digits
			return strconv.FormatFloat(v, 'g', 4, 64)
		}
		return strconv.FormatFloat(v, 'f', prec, 64)
	}
	note := l.Error
	if note != "" {
		note = "error: " + note
	} else {
		var parts []string
		if l.ExtrapolatedFrom > 0 {
			parts = append(parts, fmt.Sprintf("extrapolated from %d pixels", l.ExtrapolatedFrom))
		}
		if l.Conv != "" {
			parts = append(parts, l.Conv)
		}
		if l.Backend != "" {
			parts = append(parts, l.Backend)
		}
		if l.Version != "" {
			parts = append(parts, l.Version)
		}
		parts = append(parts, "batch "+strconv.Itoa(l.Batch))
		note = strings.Join(parts, "; ")
	}
	fmt.Fprintf(b.e.stdout, "%-9s %-10s %10s %10s %12s %12s %5s %9s %6s  %s\n", l.Bench, l.Engine,
		num(l.ImgPerS, 1), num(l.Seconds, -1), num(l.CPUImgPerS, 1), num(l.CPUSeconds, -1),
		num(float64(l.Reps), 0), num(l.PeakRSSMB, 0), num(l.Load1, 2), note)
}

func (b *benchRun) emitError(l benchLine, err error) {
	l.Error = err.Error()
	b.emit(l)
}

// rates fills the img/s figures of l from a result over n images.
func rates(l *benchLine, r bench.Result, n int) {
	l.Reps = r.Reps
	l.ImgPerS = float64(n) / r.Median.Seconds()
	if r.CPUMed > 0 {
		l.CPUImgPerS = float64(n) / r.CPUMed.Seconds()
	}
}

// levels returns n·H·W random levels and the input level/(q−1).
func (b *benchRun) levels(n int, seed uint64) ([]uint8, *graph.Tensor) {
	c := b.cfg
	r := rand.New(rand.NewPCG(seed, 7))
	lv := make([]uint8, n*c.Height*c.Width)
	x := graph.NewFloat32([]int{n, 1, c.Height, c.Width}, nil)
	for i := range lv {
		lv[i] = uint8(r.IntN(c.Levels))
		x.F32[i] = float32(lv[i]) / float32(c.Levels-1)
	}
	return lv, x
}

// gap is the untimed pause before each timed run of interleaved engines
// ($PIXELGRAPH_BENCH_GAP overrides it): ORT's intra-op threads (and
// PyTorch's OpenMP threads) spin-wait for a while after a call, and without
// a pause they took a core from the Go run that followed. Measured here
// (forward, batch 16, 2 threads): Go 158-171 img/s with no gap, 173-181
// with 20 ms, 197 with 100 ms, 196-199 with ORT's spinning turned off;
// ORT itself 150-167 in every case.
func gap() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PIXELGRAPH_BENCH_GAP")); err == nil {
		return d
	}
	return 100 * time.Millisecond
}

// convKernel names the conv kernel of the Go runtime's chain.
func convKernel() string {
	if kernels.HasDirect() {
		return "direct channels-last (AVX-512)"
	}
	return "im2col + SGEMM"
}

// forward times the Go runtime's and ONNX Runtime's forward pass of a
// batch, interleaved (one of each per round).
func (b *benchRun) forward(ortEng forwardEngine, ortErr error) error {
	n := b.f.batch
	goLine := b.start(benchForward, "go", n)
	goLine.Backend, goLine.Conv = kernels.Backend(), convKernel()
	ortLine := b.start(benchForward, "ort", n)
	p, err := runtime.CompileWith(b.g, runtime.Options{Threads: b.f.threads})
	if err != nil {
		return err
	}
	_, x := b.levels(n, 1)
	in := map[string]*graph.Tensor{graph.InputName: x}
	runGo := func() error {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		_, err := p.Run(b.ctx, in)
		return err
	}
	if ortErr != nil {
		r, err := bench.Measure(b.opts, runGo)
		if err != nil {
			return err
		}
		rates(&goLine, r, n)
		b.emit(goLine)
		b.emitError(ortLine, ortErr)
		return nil
	}
	ortLine.Version = ortEng.Version()
	runORT := func() error {
		_, err := ortEng.Forward(x.F32, n)
		return err
	}
	opts := b.opts
	opts.Budget *= 2 // the budget is per engine
	opts.Gap = gap()
	rs, err := bench.Interleave(opts, runGo, runORT)
	if err != nil {
		return err
	}
	rates(&goLine, rs[0], n)
	rates(&ortLine, rs[1], n)
	b.emit(goLine)
	b.emit(ortLine)
	return nil
}

// sample16 times sampling 16 images with the cached sampler, then ONNX
// Runtime's naive loop (one forward pass of the 16 images per pixel, with
// the same draws as sample.NaiveSample) on as many pixels as the budget
// allows, extrapolated to H·W passes by the median pass time.
func (b *benchRun) sample16(ortEng forwardEngine, ortErr error) error {
	const n = 16
	l := b.start(benchSample16, "go-cached", n)
	l.Backend = kernels.Backend()
	r, err := bench.Measure(b.opts, func() error {
		_, err := sample.Sample(b.ctx, b.g, sample.Options{N: n, Seed: 1, Method: sample.Cached})
		return err
	})
	if err != nil {
		return err
	}
	l.Reps, l.Seconds, l.CPUSeconds = r.Reps, r.Median.Seconds(), r.CPUMed.Seconds()
	b.emit(l)

	l = b.start(benchSample16, "ort-naive", n)
	if ortErr != nil {
		b.emitError(l, ortErr)
		return nil
	}
	l.Version = ortEng.Version()
	geo, err := sample.GeometryOf(b.g)
	if err != nil {
		return err
	}
	px := geo.H * geo.W
	u := make([][]float64, n)
	for i := range u {
		u[i] = sample.Uniforms(1, i, px)
	}
	x := make([]float32, n*px)
	if _, err := ortEng.Forward(x, n); err != nil { // warm-up
		b.emitError(l, err)
		return nil
	}
	var wall, cpu []time.Duration
	var spent time.Duration
	for p := 0; p < px && (p < 3 || spent < b.f.budget); p++ {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		c0, t0 := bench.CPUTime(), time.Now()
		logits, err := ortEng.Forward(x, n)
		if err != nil {
			b.emitError(l, err)
			return nil
		}
		for i := range n {
			lv, _ := sample.Categorical(logits[i*geo.Q*px+p:], px, geo.Q, 1, u[i][p])
			x[i*px+p] = float32(lv) / float32(geo.Q-1)
		}
		w := time.Since(t0)
		wall, cpu = append(wall, w), append(cpu, bench.CPUTime()-c0)
		spent += w
	}
	l.Reps = len(wall)
	if len(wall) == px { // the whole loop ran: report it as timed
		l.Seconds = sum(wall).Seconds()
		l.CPUSeconds = sum(cpu).Seconds()
	} else {
		l.ExtrapolatedFrom = len(wall)
		l.Seconds = bench.Median(wall).Seconds() * float64(px)
		l.CPUSeconds = bench.Median(cpu).Seconds() * float64(px)
	}
	b.emit(l)
	return nil
}

func sum(d []time.Duration) time.Duration {
	var s time.Duration
	for _, v := range d {
		s += v
	}
	return s
}

// train times train.Trainer.Step (forward, backward, gradient clip, Adam)
// on a fixed random batch and, unless --no-pytorch, the same step in
// PyTorch (testdata/pytorch_bench.py in a subprocess), alternating one step
// of each per round so that both meet the same machine load. gorgonia's
// peak RSS is this process's from the start of the bench (after a GC and the
// ONNX Runtime session closed); PyTorch's is its own process's.
func (b *benchRun) train() error {
	n := b.f.batch
	gl := b.start(benchTrain, "gorgonia", n)
	pl := gl
	pl.Engine = "pytorch"
	goruntime.GC()
	debug.FreeOSMemory()
	reset := bench.ResetPeakRSS()
	gl.StartRSSMB = float64(bench.RSS()) / (1 << 20)
	var py *pytorchStepper
	var pyErr error
	if !b.f.noPytorch {
		py, pyErr = b.startPytorch() // imports torch while gorgonia warms up
		if py != nil {
			defer py.close()
		}
	}
	tr, err := train.New(b.g, train.Options{Batch: n, Seed: 1})
	if err != nil {
		return err
	}
	lv, x := b.levels(n, 2)
	gStep := func() error {
		if err := b.ctx.Err(); err != nil {
			return err
		}
		_, err := tr.Step(x, lv)
		return err
	}
	if err := gStep(); err != nil { // warm-up
		return err
	}
	if py != nil {
		if pl.Version, pyErr = py.ready(); pyErr != nil {
			py.close()
			py = nil
		}
	}
	var gw, gc, pw, pc []time.Duration
	var spent time.Duration
	budget := b.f.budget
	if py != nil {
		budget *= 2 // the budget is per engine
	}
	pause := gap()
	for round := 0; round < 1000 && (round < 3 || spent < budget); round++ {
		for k := range 2 {
			time.Sleep(pause) // see gap: the other engine's threads wind down
			spent += pause    // counts toward the budget: tiny steps stay short
			if (k == 0) == (round%2 == 0) {
				c0, t0 := bench.CPUTime(), time.Now()
				if err := gStep(); err != nil {
					return err
				}
				w := time.Since(t0)
				gw, gc = append(gw, w), append(gc, bench.CPUTime()-c0)
				spent += w
			} else if py != nil {
				w, c, err := py.step()
				if err != nil {
					pyErr = err
					py.close()
					py = nil
					continue
				}
				pw, pc = append(pw, w), append(pc, c)
				spent += w
			}
		}
	}
	rates(&gl, bench.Result{Reps: len(gw), Median: bench.Median(gw), CPUMed: bench.Median(gc)}, n)
	if reset {
		gl.PeakRSSMB = float64(bench.PeakRSS()) / (1 << 20)
	}
	b.emit(gl)
	if b.f.noPytorch {
		return nil
	}
	if pyErr == nil && py != nil {
		pl.PeakRSSMB, pyErr = py.finish()
	}
	if pyErr != nil {
		b.emitError(pl, pyErr)
		return nil
	}
	rates(&pl, bench.Result{Reps: len(pw), Median: bench.Median(pw), CPUMed: bench.Median(pc)}, n)
	b.emit(pl)
	return nil
}

// pytorchStepper drives testdata/pytorch_bench.py --serve: one line "step"
// in, one line {"wall","cpu"} out.
type pytorchStepper struct {
	py     string
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *bytes.Buffer
	closed bool
	// finished: the script printed its peak RSS and exits by itself.
	finished bool
}

// startPytorch starts the script on the run's model, batch and threads.
func (b *benchRun) startPytorch() (*pytorchStepper, error) {
	py := b.f.python
	if py == "" {
		py = os.Getenv("PIXELGRAPH_PYTHON")
	}
	if py == "" {
		py = "/usr/bin/python3"
	}
	cj, err := json.Marshal(b.cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(b.ctx, py, "-c", string(pytorchBench), string(cj), strconv.Itoa(b.f.batch), strconv.Itoa(b.f.threads),
		strconv.FormatFloat(b.f.budget.Seconds(), 'g', -1, 64), "--serve")
	// One thread pool of the size asked for, whatever the environment says.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(b.f.threads), "MKL_NUM_THREADS="+strconv.Itoa(b.f.threads))
	s := &pytorchStepper{py: py, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if s.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.out = bufio.NewScanner(out)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", py, err)
	}
	return s, nil
}

// failed describes the script's failure: the exception line of its stderr.
func (s *pytorchStepper) failed(err error) error {
	msg := strings.TrimSpace(s.stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:] // the exception, not the traceback
	}
	if msg != "" {
		return fmt.Errorf("%s: %v: %s", s.py, err, msg)
	}
	return fmt.Errorf("%s: %w", s.py, err)
}

// read decodes the script's next output line into v.
func (s *pytorchStepper) read(v any) error {
	if !s.out.Scan() {
		err := s.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return s.failed(err)
	}
	line := s.out.Bytes()
	if err := json.Unmarshal(line, v); err != nil {
		return s.failed(fmt.Errorf("printed %q: %w", line, err))
	}
	return nil
}

// ready waits for the warm-up step and returns torch's version; a script
// that cannot import torch prints an error line instead.
func (s *pytorchStepper) ready() (string, error) {
	var r struct {
		Ready   bool   `json:"ready"`
		Version string `json:"version"`
		Error   string `json:"error"`
	}
	if err := s.read(&r); err != nil {
		return "", err
	}
	if !r.Ready {
		return "", fmt.Errorf("%s: %s", s.py, r.Error)
	}
	return r.Version, nil
}

func (s *pytorchStepper) step() (wall, cpu time.Duration, err error) {
	if _, err := io.WriteString(s.in, "step\n"); err != nil {
		return 0, 0, s.failed(err)
	}
	var r struct{ Wall, CPU float64 }
	if err := s.read(&r); err != nil {
		return 0, 0, err
	}
	sec := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	return sec(r.Wall), sec(r.CPU), nil
}

// finish ends the script and returns its peak RSS in MB.
func (s *pytorchStepper) finish() (float64, error) {
	if _, err := io.WriteString(s.in, "done\n"); err != nil {
		return 0, s.failed(err)
	}
	var r struct {
		PeakRSSMB float64 `json:"peak_rss_mb"`
	}
	err := s.read(&r)
	s.finished = err == nil
	s.close()
	return r.PeakRSSMB, err
}

// close ends the script: after finish it has exited by itself; otherwise
// (an error, or the bench stopped early) it is killed.
func (s *pytorchStepper) close() {
	if s.closed {
		return
	}
	s.closed = true
	s.in.Close()
	if s.cmd.ProcessState == nil && !s.finished {
		s.cmd.Process.Kill()
	}
	_ = s.cmd.Wait()
}

// watchRSS aborts the process when its RSS passes --max-rss-mb: gorgonia
// keeps every intermediate of a step alive (GBs for the seed model), and a
// run that swaps or meets the OOM killer harms everything else on the
// machine. It returns a function that stops the watch.
func (b *benchRun) watchRSS() func() {
	limit := int64(b.f.maxRSSMB) << 20
	if b.f.maxRSSMB == 0 {
		limit = bench.MemAvailable() / 10 * 9
	}
	if limit <= 0 || bench.RSS() == 0 {
		return func() {}
	}
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if rss := bench.RSS(); rss > limit {
					b.mu.Lock()
					l := b.cur
					b.mu.Unlock()
					l.Error = fmt.Sprintf("aborted: RSS %d MB passed the limit of %d MB (--max-rss-mb)", rss>>20, limit>>20)
					b.emit(l)
					fmt.Fprintf(b.e.stderr, "pixelgraph: bench: %s\n", l.Error)
					os.Exit(1)
				}
			}
		}
	}()
	return func() { close(done) }
}

// printRatios prints the three goal ratios from the lines measured,
// by wall time and by process CPU time.
func (b *benchRun) printRatios() {
	find := func(bn, engine string) *benchLine {
		for i := range b.lines {
			if l := &b.lines[i]; l.Bench == bn && l.Engine == engine && l.Error == "" {
				return l
			}
		}
		return nil
	}
	w := b.e.stdout
	fmt.Fprintln(w, "\nratios (wall; cpu = per process CPU-second)        goal")
	row := func(name string, wall, cpu, goal float64, x string) {
		if wall == 0 {
			fmt.Fprintf(w, "  %-34s %8s %8s   >= %g%s\n", name, "n/a", "", goal, x)
			return
		}
		holds := "holds"
		if wall < goal {
			holds = "does not hold"
		}
		c := "-"
		if cpu > 0 {
			c = fmt.Sprintf("%.2f%s", cpu, x)
		}
		fmt.Fprintf(w, "  %-34s %7.2f%s %8s   >= %g%s: %s\n", name, wall, x, c, goal, x, holds)
	}
	div := func(a, b float64) float64 {
		if a == 0 || b == 0 {
			return 0
		}
		return a / b
	}
	var fw, fc, tw, tc, sw, sc float64
	if g, o := find(benchForward, "go"), find(benchForward, "ort"); g != nil && o != nil {
		fw, fc = div(g.ImgPerS, o.ImgPerS), div(g.CPUImgPerS, o.CPUImgPerS)
	}
	if g, p := find(benchTrain, "gorgonia"), find(benchTrain, "pytorch"); g != nil && p != nil {
		tw, tc = div(g.ImgPerS, p.ImgPerS), div(g.CPUImgPerS, p.CPUImgPerS)
	}
	if c, o := find(benchSample16, "go-cached"), find(benchSample16, "ort-naive"); c != nil && o != nil {
		sw, sc = div(o.Seconds, c.Seconds), div(o.CPUSeconds, c.CPUSeconds)
	}
	row("forward go/ort", fw, fc, 1.2, "")
	row("train gorgonia/pytorch", tw, tc, 1.0, "")
	row("sample16 go-cached vs ort-naive", sw, sc, 200, "x")
}

// resolveORTLib finds libonnxruntime: flag, then $PIXELGRAPH_ORT_LIB, then
// ortLibRel in the current directory or a parent up to the module root.
func resolveORTLib(flag string) (string, error) {
	check := func(p, what string) (string, error) {
		if st, err := os.Stat(p); err != nil || st.IsDir() {
			return "", fmt.Errorf("%s %s is not a file", what, p)
		}
		return p, nil
	}
	if flag != "" {
		return check(flag, "--ort")
	}
	if p := os.Getenv("PIXELGRAPH_ORT_LIB"); p != "" {
		return check(p, "$PIXELGRAPH_ORT_LIB")
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, ortLibRel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break // the module root
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			break
		}
		dir = parent
	}
	return "", errors.New("libonnxruntime not found: pass --ort LIBPATH or set PIXELGRAPH_ORT_LIB (scripts/install-test-deps.sh installs it under .deps/ort)")
}
