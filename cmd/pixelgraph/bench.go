package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/bench"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/ortlib"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func init() {
	register(&command{
		name:  "bench",
		args:  "[--config seed|small|tiny] [--levels Q] [--batch B] [--threads T] [--ort LIBPATH] [--budget D] [--only LIST] [--no-pytorch] [--json]",
		short: "time forward (Go vs ONNX Runtime), a training step (gorgonia vs PyTorch) and sampling 16 images (cached vs ORT naive) in one run",
		run:   runBench,
	})
}

// Bench names and the engines each runs.
const (
	benchForward  = "forward"
	benchTrain    = "train"
	benchSample16 = "sample16"
)

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

type benchFlags struct {
	config, ort, only, python string
	levels, batch, threads    int
	budget                    time.Duration
	noPytorch, asJSON         bool
	maxRSSMB                  int
}

func runBench(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["bench"], e)
	var f benchFlags
	fs.StringVar(&f.config, "config", "seed", "model: seed (graph.DefaultConfig), small (filters 32, hidden 16, blocks 3) or tiny (filters 8, hidden 4, blocks 1, head 8, 8x8; for tests)")
	fs.IntVar(&f.levels, "levels", 4, "intensity levels q")
	fs.IntVar(&f.batch, "batch", 16, "images per forward pass and per training step (sample16 always samples 16)")
	fs.IntVar(&f.threads, "threads", 1, "threads for every engine: GOMAXPROCS and the Go kernels, ORT's intra-op threads, torch.set_num_threads")
	fs.StringVar(&f.ort, "ort", "", "libonnxruntime path (default: $PIXELGRAPH_ORT_LIB, else "+ortlib.RelPath+" under the module root or the current directory)")
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

	ortLib, ortErr := findORTLib(f.ort)
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
