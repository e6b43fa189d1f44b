package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "sample",
		args:  "-m MODEL -o FILE.png [-n N --class K|A-B --cond NAME=V --seed S --temperature T --method auto|cached|naive --raw FILE.pb --cols C --scale K --threads T -q]",
		short: "draw images from a PixelCNN ONNX file into a PNG grid (a class-conditional one: --class K, or --class 0-9 for one row per class)",
		run:   runSample,
	})
}

// samplerFlags are shared by sample and complete.
type samplerFlags struct {
	model       string
	out         string
	seed        uint64
	temperature float64
	method      string
	scale, cols int
	quiet       bool
	threads     threadsFlag
	also        []string // other outputs (--raw), checked writable with -o
}

func (s *samplerFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&s.model, "m", "", "model: an ONNX file (required)")
	fs.StringVar(&s.out, "o", "", "output PNG grid (required)")
	fs.Uint64Var(&s.seed, "seed", 1, "seed of the uniforms: pixel p of image i uses draw p of PCG(seed, i)")
	fs.Float64Var(&s.temperature, "temperature", 1, "softmax temperature, > 0")
	fs.StringVar(&s.method, "method", "auto", "auto (cached when the graph is provably causal, else naive), cached, or naive (one forward pass per pixel)")
	fs.IntVar(&s.scale, "scale", 2, "draw each pixel as KxK in the PNG")
	fs.BoolVar(&s.quiet, "q", false, "no progress on stderr")
	s.threads.register(fs, "sampling")
}

// check validates the flags and loads the model.
func (s *samplerFlags) check(pos []string) (*graph.Graph, sample.Options, error) {
	var o sample.Options
	if len(pos) > 0 {
		return nil, o, usagef("unexpected argument %q", pos[0])
	}
	if s.model == "" {
		return nil, o, usagef("-m MODEL is required")
	}
	if s.out == "" {
		return nil, o, usagef("-o FILE is required")
	}
	if !(s.temperature > 0) {
		return nil, o, usagef("--temperature must be > 0, got %g", s.temperature)
	}
	if s.scale < 1 || s.scale > 64 {
		return nil, o, usagef("--scale must be in 1..64, got %d", s.scale)
	}
	m, err := sample.ParseMethod(s.method)
	if err != nil {
		return nil, o, usagef("--method: %v", err)
	}
	if err := s.threads.check(); err != nil {
		return nil, o, err
	}
	for _, out := range append([]string{s.out}, s.also...) {
		if err := atomicfile.CheckWritable(out); err != nil {
			return nil, o, err
		}
	}
	g, err := export.DecodeFile(s.model, nil)
	if err != nil {
		return nil, o, err
	}
	return g, sample.Options{Seed: s.seed, Temperature: s.temperature, Method: m, Threads: int(s.threads)}, nil
}

func runSample(ctx context.Context, e *env, args []string) error {
	c := commands["sample"]
	fs := newFlagSet(c, e)
	var sf samplerFlags
	sf.register(fs)
	n := fs.Int("n", 16, "images to sample (with --class A-B: per class)")
	var cf condFlags
	cf.register(fs, "class to draw, for a model with one conditioning input (a --classes model's label): K, or A-B for one grid row of -n images per class")
	raw := fs.String("raw", "", "also write the sampled levels as an ONNX TensorProto \"levels\": int64 [N,1,H,W], values 0..q-1")
	fs.IntVar(&sf.cols, "cols", 0, "images per grid row (default ceil(sqrt(N)))")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if *n < 1 || *n > 4096 {
		return usagef("-n must be in 1..4096, got %d", *n)
	}
	if sf.cols < 0 {
		return usagef("--cols must be >= 0, got %d", sf.cols)
	}
	if *raw != "" {
		sf.also = append(sf.also, *raw)
	}
	g, opts, err := sf.check(pos)
	if err != nil {
		return err
	}
	geo, err := sample.GeometryOf(g)
	if err != nil {
		return err
	}
	conds, name, ks, err := cf.fixed(g, true)
	if err != nil {
		return err
	}
	opts.N = *n
	if ks != nil { // one row of n images per class
		vals := make([]int64, 0, *n*len(ks))
		for _, k := range ks {
			vals = append(vals, slices.Repeat([]int64{k}, *n)...)
		}
		conds = append(conds, sample.Cond{Name: name, Values: vals})
		opts.N, sf.cols = *n*len(ks), *n
		if opts.N > 4096 {
			return usagef("-n %d per class for %d classes is %d images; at most 4096", *n, len(ks), opts.N)
		}
	}
	if err := missing(g, conds, ""); err != nil {
		return err
	}
	opts.Cond = conds
	opts.Method = announce(e, g, opts.Method)
	if err := e.checkSampler(g, geo, opts.N, opts.Method, fmt.Sprintf("-n %d", *n), "sampling"); err != nil {
		return err
	}
	pr := newPixelProgress(e.stderr, "sampling", sf.quiet)
	opts.Progress = pr.update
	fmt.Fprintf(e.stderr, "sampling %d images %dx%d, q=%d, method %v, seed %d, temperature %g%s\n",
		opts.N, geo.H, geo.W, geo.Q, opts.Method, opts.Seed, opts.Temperature, condNote(conds, name, ks))
	res, err := sample.Sample(ctx, g, opts)
	pr.finish()
	if err != nil {
		return err
	}
	// The grid and the raw levels: both or neither.
	var set atomicfile.Set
	if err := stageGrid(&set, sf.out, sample.SampleGrid(res, sample.GridOptions{Cols: sf.cols, Scale: sf.scale})); err != nil {
		return err
	}
	if *raw != "" {
		t := graph.NewInt64([]int{res.N, 1, res.H, res.W}, nil)
		for i, l := range res.Levels {
			t.I64[i] = int64(l)
		}
		b, err := export.MarshalTensor("levels", t)
		if err != nil {
			set.Abort()
			return err
		}
		if err := set.Add(*raw, b); err != nil {
			return err
		}
	}
	if err := set.Commit(); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: %d images in %v\n", sf.out, res.N, pr.elapsed())
	if *raw != "" {
		fmt.Fprintf(e.stderr, "wrote %s: levels int64[%d,1,%d,%d]\n", *raw, res.N, res.H, res.W)
	}
	if note := nearNote(res); note != "" && !sf.quiet {
		fmt.Fprintln(e.stderr, note)
	}
	return nil
}

// announce resolves --method auto before sampling, printing why the cached
// sampler cannot run when it cannot; cached on such a graph is an error.
func announce(e *env, g *graph.Graph, m sample.Method) sample.Method {
	if m == sample.Naive {
		return m
	}
	err := sample.Prove(g)
	if err == nil {
		return sample.Cached
	}
	if m == sample.Auto {
		fmt.Fprintf(e.stderr, "pixelgraph: cached sampling unavailable: %v\npixelgraph: falling back to naive sampling (one forward pass per pixel)\n", err)
		return sample.Naive
	}
	return m // Cached: Sample returns the reason
}

// nearNote explains, in one line, the draws whose uniform fell within
// sample.BoundaryEps of a level boundary: the only pixels where another
// engine with the same seed may draw a neighbouring level.
func nearNote(r *sample.Result) string {
	if len(r.NearBoundary) == 0 {
		return ""
	}
	return fmt.Sprintf("note: %d of %d draws fell within %g of a level boundary: only at those pixels may another engine (ONNX Runtime, PyTorch) with the same seed draw a neighbouring level, as its logits round differently",
		len(r.NearBoundary), len(r.Levels), sample.BoundaryEps)
}

// checkSampler refuses sampling n images that would not fit: the sampler
// keeps per pixel of each image its input, level and uniform (16 bytes), and
// the naive method a whole forward pass of the batch on top.
func (e *env) checkSampler(g *graph.Graph, geo sample.Geometry, n int, m sample.Method, nFlag, what string) error {
	extra := float64(geo.H) * float64(geo.W) * 16
	job := func(k int) string { return fmt.Sprintf("%s %s of %dx%d", what, images(k), geo.H, geo.W) }
	if m != sample.Naive {
		g = &graph.Graph{Inputs: g.Inputs} // the cached sampler keeps a few rows per layer: count the sampler's own buffers only
	}
	return e.checkForward(g, nil, n, extra, nFlag, job)
}

// stageGrid encodes img as PNG and adds it to set.
func stageGrid(set *atomicfile.Set, path string, img image.Image) error {
	var buf bytes.Buffer
	if err := sample.WritePNG(&buf, img); err != nil {
		set.Abort()
		return err
	}
	return set.Add(path, buf.Bytes())
}

// writeGrid encodes img as PNG and writes it atomically.
func writeGrid(path string, img image.Image) error {
	var set atomicfile.Set
	if err := stageGrid(&set, path, img); err != nil {
		return err
	}
	return set.Commit()
}

// pixelProgress reports sampling progress on stderr: a live bar on a
// terminal, else a line every eighth of the run; nothing with -q.
type pixelProgress struct {
	w     io.Writer
	what  string
	unit  string // what done and total count; "pixels" when empty
	quiet bool
	tty   bool
	start time.Time
	next  int
	drawn bool
}

func newPixelProgress(w io.Writer, what string, quiet bool) *pixelProgress {
	return &pixelProgress{w: w, what: what, quiet: quiet, tty: isTerminal(w), start: time.Now()}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func (p *pixelProgress) update(done, total int) {
	if p.quiet || total <= 0 {
		return
	}
	unit := p.unit
	if unit == "" {
		unit = "pixels"
	}
	if p.tty {
		const width = 30
		k := done * width / total
		fmt.Fprintf(p.w, "\r%s [%s%s] %d/%d %s %v", p.what, strings.Repeat("#", k), strings.Repeat(".", width-k),
			done, total, unit, time.Since(p.start).Round(100*time.Millisecond))
		p.drawn = true
		return
	}
	if done >= p.next || done == total {
		fmt.Fprintf(p.w, "%s: %d/%d %s, %v\n", p.what, done, total, unit, time.Since(p.start).Round(time.Millisecond))
		p.next = done + max(1, total/8)
	}
}

func (p *pixelProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

func (p *pixelProgress) elapsed() time.Duration { return time.Since(p.start).Round(time.Millisecond) }
