package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/kernels/peak"
	"github.com/pixelgraph/pixelgraph/internal/ortlib"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "bench",
		args:  "[--config seed|small|tiny|gated|gated-tiny] [--levels Q] [--batch B[,B...]] [--threads T] [--ort LIBPATH] [--budget D] [--only LIST] [--no-pytorch] [--json]",
		short: "time forward (Go vs ONNX Runtime), a training step (gorgonia vs PyTorch) and sampling 16 images (cached vs ORT naive) in one run: engines checked to agree, goal ratios round by round, GFLOP/s against the core's measured FMA peak",
		run:   runBench,
	})
}

// Bench names.
const (
	benchForward  = "forward"
	benchTrain    = "train"
	benchSample16 = "sample16"
)

type benchFlags struct {
	config, ort, only, python string
	levels, threads           int
	batches                   []int // --batch: each forward and train bench runs once per size
	budget                    time.Duration
	noPytorch, asJSON         bool
	maxRSSMB                  int
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["bench"], e)
	var f benchFlags
	var batch string
	fs.StringVar(&f.config, "config", "seed", "model: "+benchModelHelp())
	fs.IntVar(&f.levels, "levels", 4, "intensity levels q")
	fs.StringVar(&batch, "batch", "16", "images per forward pass and per training step; a comma-separated list (16,64) runs forward and train once per size (sample16 always samples 16)")
	fs.IntVar(&f.threads, "threads", 1, "threads for every engine: GOMAXPROCS and the Go kernels, ORT's intra-op threads, torch.set_num_threads")
	fs.StringVar(&f.ort, "ort", "", "libonnxruntime path (default: $PIXELGRAPH_ORT_LIB, else "+ortlib.RelPath+" under the current directory or a parent up to the module root)")
	fs.DurationVar(&f.budget, "budget", 20*time.Second, "time to spend per bench and engine; at least 3 repetitions run after a warm-up whatever it is")
	fs.StringVar(&f.only, "only", "", "comma-separated benches to run (forward,train,sample16); default all")
	fs.BoolVar(&f.noPytorch, "no-pytorch", false, "skip the PyTorch training step")
	fs.StringVar(&f.python, "python", "", "python with torch for the PyTorch step (default: $PIXELGRAPH_PYTHON, else /usr/bin/python3)")
	fs.IntVar(&f.maxRSSMB, "max-rss-mb", 0, "abort (exit 1) when this process's RSS exceeds this many MB; 0 = 90% of MemAvailable at start, < 0 = no limit")
	fs.BoolVar(&f.asJSON, "json", false, "one JSON object per line instead of a table: "+
		`{"bench":"forward|train|sample16","engine":…,"img_per_s"|"seconds":…,"cpu_img_per_s"|"cpu_seconds":…,"reps":N,"gflop_s_live":…,"peak_share_live":…,…}; `+
		"figures are medians of repetitions after a warm-up (engines alternate run by run, with a 100 ms untimed pause before each, "+
		"$PIXELGRAPH_BENCH_GAP); cpu_* divide by the process's CPU time instead of wall time "+
		"(robust to a loaded machine); peak_rss_mb is the process-wide peak RSS (VmHWM) from the start of the train bench, "+
		"start_rss_mb what the process held then (PyTorch: its own process's VmHWM); "+
		"backend is the Go kernels' SGEMM, conv the Go runtime's conv kernel; "+
		"gflop_s_live/_dense count the convs' multiply-adds over live/all taps, peak_share_* divide them by the "+
		`{"bench":"peak",…} line's FMA peak × threads; max_abs_diff is an engine's largest logit difference from the Go runtime's on the same weights and input; `+
		`after each bench {"bench":…,"ratio":"go/ort",…,"median":…,"min":…,"max":…,"rounds":N,"goal":…,"holds":…} pairs the engines round by round`)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	model, ok := findBenchModel(f.config)
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case !ok:
		return usagef("--config must be %s, got %q", benchModelNames(), f.config)
	case f.levels < 2 || f.levels > 256:
		return usagef("--levels must be in 2..256, got %d", f.levels)
	case f.threads <= 0:
		return usagef("--threads must be > 0, got %d", f.threads)
	case f.budget <= 0:
		return usagef("--budget must be > 0, got %v", f.budget)
	}
	if f.batches, err = parseBatches(batch); err != nil {
		return err
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
	b, err := newBenchRun(ctx, e, f, model)
	if err != nil {
		return err
	}
	if err := e.checkBenchBatch(fs, b.g, slices.Max(f.batches), run[benchTrain]); err != nil {
		return err
	}

	// --threads governs every engine: the Go ones through GOMAXPROCS, the
	// default of every library's Threads option (the command owns the
	// process; restored after), ORT's and PyTorch's through their own.
	defer goruntime.GOMAXPROCS(goruntime.GOMAXPROCS(f.threads))

	stop := b.watchRSS()
	defer stop()
	b.printHeader()
	b.measurePeak()

	ortLib, ortErr := findORTLib(f.ort)
	var ortEng forwardEngine
	if (run[benchForward] || run[benchSample16]) && ortErr == nil {
		var onnx []byte
		if onnx, err = export.Marshal(b.g, nil); err != nil {
			return err
		}
		ortEng, ortErr = newORTEngine(ortLib, onnx, f.threads, b.geo)
	}
	closeORT := func() {
		if ortEng != nil {
			ortEng.Close()
			ortEng = nil
		}
	}
	defer closeORT()

	for _, n := range f.batches {
		if run[benchForward] {
			if err := b.forward(ortEng, ortErr, n); err != nil {
				return err
			}
		}
	}
	if run[benchSample16] {
		if err := b.sample16(ortEng, ortErr); err != nil {
			return err
		}
	}
	closeORT() // not part of training's memory
	for _, n := range f.batches {
		if run[benchTrain] {
			if err := b.train(n); err != nil {
				return err
			}
		}
	}
	if !f.asJSON {
		b.printRatios()
	}
	return ctx.Err()
}

// parseBatches reads --batch: sizes > 0, comma-separated, no repeats.
func parseBatches(s string) ([]int, error) {
	var ns []int
	for _, p := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(p))
		switch {
		case err != nil:
			return nil, usagef("--batch: %q is not a number of images", p)
		case n <= 0:
			return nil, usagef("--batch must be > 0, got %d", n)
		case slices.Contains(ns, n):
			return nil, usagef("--batch: %d twice", n)
		}
		ns = append(ns, n)
	}
	return ns, nil
}

// benchRun holds one invocation's settings and the lines printed so far.
type benchRun struct {
	ctx    context.Context
	e      *env
	f      benchFlags
	model  benchModel
	g      *graph.Graph
	twin   any      // the JSON the PyTorch twin is built from
	geo    benchGeo // the graph's input and output
	work   convWork // multiply-adds of one image's forward pass
	peak   float64  // one core's measured FMA peak, GFLOP/s (0 until measurePeak)
	opts   bench.Options
	mu     sync.Mutex // guards lines, ratios and cur (the RSS watchdog reads cur)
	lines  []benchLine
	ratios []benchRatio
	cur    benchLine
}

// benchGeo is what the engines need to know of the model's tensors: input
// (N, C, H, W) and logits (N, Q·C, H, W).
type benchGeo struct{ C, H, W, Q int }

// newBenchRun builds the model --config names and what the benches
// derive from it once: geometry and work per image.
func newBenchRun(ctx context.Context, e *env, f benchFlags, m benchModel) (*benchRun, error) {
	g, twin, err := m.build(f.levels)
	if err != nil {
		return nil, err
	}
	sg, err := sample.GeometryOf(g)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", f.config, err)
	}
	work, err := countConvWork(g)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", f.config, err)
	}
	geo := benchGeo{C: 1, H: sg.H, W: sg.W, Q: sg.Q}
	return &benchRun{ctx: ctx, e: e, f: f, model: m, g: g, twin: twin, geo: geo, work: work, opts: bench.Options{Budget: f.budget}}, nil
}

// printHeader prints the table's title and column heads (not with --json).
func (b *benchRun) printHeader() {
	if b.f.asJSON {
		return
	}
	live, dense := b.work.GFLOP()
	fmt.Fprintf(b.e.stdout, "pixelgraph bench: config %s (%s), q=%d, batch %s, threads %d, budget %v\n",
		b.f.config, b.model.describe(b.g), b.geo.Q, joinInts(b.f.batches), b.f.threads, b.f.budget)
	fmt.Fprintf(b.e.stdout, "work: %.4g GFLOP per image on live taps, %.4g dense; Go kernels: %s; runtime convs: %s\n",
		live, dense, kernels.Backend(), convKernel())
}

// measurePeak measures one core's FMA peak, which every line's
// peak_share_* divides by (times --threads), and emits it as a line.
func (b *benchRun) measurePeak() {
	l := b.start("peak", "", 0)
	p := peak.FMA(200 * time.Millisecond)
	b.peak = p.GFLOPS
	l.Engine, l.GFLOPS, l.Reps, l.Batch = p.Loop, p.GFLOPS, p.Reps, 0
	b.emit(l)
}

// start returns a line for bench/engine with the run's settings, and
// records it as the one running (for the RSS watchdog's message).
func (b *benchRun) start(bn, engine string, batch int) benchLine {
	l := benchLine{Bench: bn, Engine: engine, Config: b.f.config, Levels: b.geo.Q, Batch: batch, Threads: b.f.threads}
	if la, ok := bench.LoadAvg(); ok {
		l.Load1 = la[0]
	}
	b.mu.Lock()
	b.cur = l
	b.mu.Unlock()
	return l
}

// levels returns n·H·W random levels and the input level/(q−1).
func (b *benchRun) levels(n int, seed uint64) ([]uint8, *graph.Tensor) {
	c := b.geo
	r := rand.New(rand.NewPCG(seed, 7))
	lv := make([]uint8, n*c.H*c.W)
	x := graph.NewFloat32([]int{n, 1, c.H, c.W}, nil)
	for i := range lv {
		lv[i] = uint8(r.IntN(c.Q))
		x.F32[i] = float32(lv[i]) / float32(c.Q-1)
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

// findORTLib returns libonnxruntime's path: --ort when given, else where
// ortlib.Find finds it.
func findORTLib(flag string) (string, error) {
	if flag != "" {
		return ortlib.Check(flag, "--ort")
	}
	lib, err := ortlib.Find()
	if errors.Is(err, ortlib.ErrNotFound) {
		err = fmt.Errorf("%w; pass --ort LIBPATH or set $%s (scripts/install-test-deps.sh installs it under .deps/ort)", err, ortlib.EnvLib)
	}
	return lib, err
}
