package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
	"github.com/pixelgraph/pixelgraph/train"
)

func init() {
	register(&command{
		name:  "train",
		args:  "-o MODEL.onnx [--arch pixelcnn|gated] [--levels Q --filters F --hidden H --head D --blocks B | --layers L --classes K | --init FILE | --resume FILE] [--epochs E | --steps S] [--time D] [--schedule exp|cosine] [--snapshot-every D] [--batch N --lr LR --seed S --dataset mnist|fashion --data DIR --threads T --plot loss.png -q]",
		short: "train a PixelCNN (or a Gated PixelCNN, class-conditional with --classes 10) on MNIST or Fashion-MNIST through gorgonia; a checkpoint is one ONNX file (optimizer state inside)",
		run:   runTrain,
	})
}

type trainFlags struct {
	out, resume, init    string
	data                 dataFlags
	plot                 string
	epochs, steps, batch int
	threads, evalLimit   int
	budget, snapEvery    time.Duration
	schedule             string
	lr                   float64
	seed                 uint64
	quiet                bool
}

func runTrain(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["train"], e)
	var mf modelFlags
	mf.register(fs)
	var f trainFlags
	f.data.register(fs)
	fs.StringVar(&f.out, "o", "", "output model and checkpoint (ONNX, optimizer state inside; written at each epoch end, at the end, on Ctrl-C and SIGTERM) (required)")
	fs.IntVar(&f.epochs, "epochs", 0, "epochs to train, > 0 (default 1 unless --steps or --time is given)")
	fs.IntVar(&f.steps, "steps", 0, "stop after this many optimizer steps, > 0 (default: no limit)")
	fs.IntVar(&f.batch, "batch", train.DefaultBatch, "images per step (--resume: the file's unless given)")
	fs.Float64Var(&f.lr, "lr", train.DefaultLR, "Adam learning rate, decayed x0.999995 per step, or the peak of --schedule cosine (--resume: the file's unless given)")
	fs.StringVar(&f.schedule, "schedule", train.ScheduleExp, "learning rate schedule: exp (--lr x0.999995 per step) or cosine (from --lr down to 0 over this run's budget: --time, --steps or --epochs, whichever ends first; a resumed run starts a new course) (--resume: the file's unless given)")
	fs.DurationVar(&f.snapEvery, "snapshot-every", 0, "also write a checkpoint every D of training time to MODEL-<time>.onnx beside -o (MODEL-15m.onnx, MODEL-30m.onnx, ... for 15m), e.g. to measure a run at several budgets")
	fs.IntVar(&f.threads, "threads", 0, "threads for training (0 = all cores)")
	fs.StringVar(&f.resume, "resume", "", "continue from a checkpoint (config, masks, step and Adam state from the file; also older MODEL.onnx + MODEL.onnx.adam pairs)")
	fs.StringVar(&f.init, "init", "", "start from any ONNX model whose layers training runs (a torch.onnx PixelCNN, say): constants folded, masks recovered from the weights' zero pattern, a trailing softmax cut; fresh optimizer state")
	fs.StringVar(&f.plot, "plot", "", "draw the loss curve (bits/dim per step) to this PNG")
	fs.IntVar(&f.evalLimit, "eval-limit", 1000, "test images for the NLL at each epoch end (0 = all 10000)")
	fs.BoolVar(&f.quiet, "q", false, "no progress on stderr")
	fs.DurationVar(&f.budget, "time", 0, "stop after this much training time (the current step finishes, the checkpoint is written; 0 = no limit): a fixed time budget, e.g. --time 10m")
	// --seed is both the initializer seed (model flags) and the shuffling seed.
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	f.seed = mf.cfg.Seed
	given := func(name string) bool { return len(flagsSet(fs, name)) > 0 }
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case f.out == "":
		return usagef("-o MODEL.onnx is required")
	case f.epochs < 0 || f.epochs == 0 && given("epochs"):
		return usagef("--epochs must be > 0, got %d (leave it out to stop by --steps)", f.epochs)
	case f.steps < 0 || f.steps == 0 && given("steps"):
		return usagef("--steps must be > 0, got %d (leave it out for no step limit)", f.steps)
	case f.batch <= 0:
		return usagef("--batch must be > 0, got %d", f.batch)
	case !(f.lr > 0):
		return usagef("--lr must be > 0, got %g", f.lr)
	case f.threads < 0:
		return usagef("--threads must be >= 0, got %d", f.threads)
	case f.evalLimit < 0:
		return usagef("--eval-limit must be >= 0, got %d", f.evalLimit)
	case f.budget < 0:
		return usagef("--time must be >= 0, got %v", f.budget)
	case f.snapEvery < 0:
		return usagef("--snapshot-every must be >= 0, got %v", f.snapEvery)
	case f.schedule != train.ScheduleExp && f.schedule != train.ScheduleCosine:
		return usagef("--schedule must be exp or cosine, got %q", f.schedule)
	}
	if f.resume != "" && f.init != "" {
		return usagef("--init and --resume exclude each other (--resume continues a checkpoint, --init starts from a model)")
	}
	if from := f.resume + f.init; from != "" {
		if set := flagsSet(fs, modelSizeFlags...); len(set) > 0 {
			return usagef("--%s cannot change the model of %s (it comes from the file)", set[0], from)
		}
	} else if err := mf.validate(fs); err != nil {
		return err
	}
	// Every output is checked before the first step: a run is never lost
	// to a path that cannot be written.
	if err := atomicfile.CheckWritable(f.out); err != nil {
		return fmt.Errorf("-o: %w", err)
	}
	if f.plot != "" {
		if err := atomicfile.CheckWritable(f.plot); err != nil {
			return fmt.Errorf("--plot: %w", err)
		}
	}
	if f.snapEvery > 0 {
		if err := atomicfile.CheckWritable(snapshotPath(f.out, f.snapEvery)); err != nil {
			return fmt.Errorf("--snapshot-every: %w", err)
		}
	}

	opts := train.Options{LR: f.lr, Batch: f.batch, Seed: f.seed, Steps: f.steps, Epochs: f.epochs, Time: f.budget, Threads: f.threads, Schedule: f.schedule}
	var g *graph.Graph
	var adam *train.AdamState
	switch {
	case f.init != "":
		if g, err = importModel(e, f.init, f.quiet); err != nil {
			return err
		}
		if err := e.fits(graphParams(g)*4*trainCopies, "--init "+f.init, "training its weights"); err != nil {
			return err
		}
	case f.resume != "":
		ck, err := train.LoadCheckpoint(f.resume)
		if err != nil {
			return err
		}
		if ck.Note != "" && !f.quiet {
			fmt.Fprintln(e.stderr, ck.Note)
		}
		g, adam = ck.Graph, ck.Adam
		if r := ck.Options; r != nil {
			// The recorded hyper-parameters continue unless a flag says otherwise.
			opts.Decay, opts.ClipNorm, opts.Beta1, opts.Beta2, opts.Eps = r.Decay, r.ClipNorm, r.Beta1, r.Beta2, r.Eps
			if !given("lr") && r.LR > 0 {
				opts.LR = r.LR
			}
			if !given("batch") && r.Batch > 0 {
				opts.Batch = r.Batch
			}
			if !given("seed") {
				opts.Seed = r.Seed
			}
			if !given("schedule") && r.Schedule != "" {
				opts.Schedule = r.Schedule
			}
		}
		if err := e.fits(graphParams(g)*4*trainCopies, "--resume "+f.resume, "training its weights"); err != nil {
			return err
		}
	default:
		if g, err = mf.build(e, fs, trainCopies, "training"); err != nil {
			return err
		}
	}
	if err := e.checkTrainActivations(fs, g, opts.Batch); err != nil {
		return err
	}

	trainSet, err := f.data.load(dataset.Train)
	if err != nil {
		return err
	}
	testSet, err := f.data.load(dataset.Test)
	if err != nil {
		return err
	}
	if err := checkClasses(g, trainSet, testSet); err != nil {
		return err
	}
	in, err := graph.ImageInput(g)
	if err != nil {
		return err
	}
	h, w := in.Shape[2], in.Shape[3]
	if trainSet, err = cropTo(trainSet, h, w); err != nil {
		return err
	}
	if testSet, err = cropTo(testSet, h, w); err != nil {
		return err
	}
	if f.evalLimit > 0 && f.evalLimit < testSet.N {
		testSet = testSet.Slice(0, f.evalLimit)
	}

	tr, err := train.New(g, opts)
	if err != nil {
		return err
	}
	if adam != nil {
		if err := tr.SetAdamState(adam); err != nil {
			return err
		}
		if !f.quiet {
			o := tr.Options()
			fmt.Fprintf(e.stderr, "resuming %s at step %d: lr %g (now %.4g), schedule %s, batch %d, seed %d\n", f.resume, tr.Steps(), o.LR, tr.LR(), o.Schedule, o.Batch, o.Seed)
		}
	}
	pr := &trainProgress{w: e.stderr, quiet: f.quiet, tty: isTerminal(e.stderr), batch: opts.Batch, stepLimit: f.steps, start: tr.Steps(), budget: f.budget}
	var curve []float64
	var ckptErr error
	var timeUp bool
	nextSnap := f.snapEvery
	fitErr := tr.Fit(ctx, trainSet, testSet, func(p train.Progress) {
		curve = append(curve, p.BitsPerDim)
		pr.step(p)
		timeUp = p.TimeUp
		if p.EpochEnd && !p.Done {
			if err := train.SaveCheckpoint(f.out, tr); err != nil && ckptErr == nil {
				ckptErr = err
			}
		}
		if f.snapEvery > 0 && p.Elapsed >= nextSnap && !p.Done {
			at := p.Elapsed.Truncate(f.snapEvery)
			nextSnap = at + f.snapEvery
			path := snapshotPath(f.out, at)
			if err := train.SaveCheckpoint(path, tr); err != nil {
				if ckptErr == nil {
					ckptErr = fmt.Errorf("--snapshot-every: %w", err)
				}
			} else if !f.quiet {
				pr.note(fmt.Sprintf("snapshot %s at step %d (%v of training)", path, p.Step, p.Elapsed.Round(max(p.Elapsed/100, time.Millisecond).Truncate(time.Millisecond))))
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
		if err := train.SaveCheckpoint(f.out, tr); err != nil {
			return err
		}
		return fmt.Errorf("interrupted at step %d; checkpoint written to %s (continue with --resume %s)", tr.Steps(), f.out, f.out)
	case fitErr != nil:
		return fitErr
	}
	if timeUp && !f.quiet {
		fmt.Fprintf(e.stderr, "--time %v reached at step %d\n", f.budget, tr.Steps())
	}
	return finishTrain(e, f, tr, curve)
}

// snapshotPath is the --snapshot-every checkpoint of -o out at training
// time at: MODEL-15m.onnx beside MODEL.onnx.
func snapshotPath(out string, at time.Duration) string {
	d := at.String()
	if strings.HasSuffix(d, "m0s") {
		d = strings.TrimSuffix(d, "0s")
	}
	if strings.HasSuffix(d, "h0m") {
		d = strings.TrimSuffix(d, "0m")
	}
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + "-" + d + ext
}

// importModel reads any ONNX model for --init (train.Import) and says on
// stderr what it recovered.
func importModel(e *env, path string, quiet bool) (*graph.Graph, error) {
	raw, err := export.DecodeFile(path, nil)
	if err != nil {
		return nil, err
	}
	g, imp, err := train.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("--init %s: %w", path, err)
	}
	if !quiet {
		var masks []string
		for _, v := range imp.Masks {
			masks = append(masks, fmt.Sprintf("%s %v", v.Name, v.Mask))
		}
		if len(masks) > 0 {
			fmt.Fprintf(e.stderr, "%s: masks recovered from the zero pattern: %s\n", path, strings.Join(masks, ", "))
		}
		for _, n := range imp.Tail {
			fmt.Fprintf(e.stderr, "%s: node %s (%s) cut: training reads the logits %s\n", path, n.Name, n.Op, g.Outputs[0].Name)
		}
	}
	return g, nil
}

// graphParams is the parameter count of a model read from a file: its
// config's when it has one, else its initializers'.
func graphParams(g *graph.Graph) float64 {
	if g.Config != nil {
		return configParams(*g.Config)
	}
	return float64(graph.ParamCount(g))
}

// trainCopies is how many float32 copies of the weights training holds at
// least: weights, gradients, Adam's two moments.
const trainCopies = 4

// checkTrainActivations refuses a batch whose activations (all of them are
// kept for the backward pass) would not fit.
func (e *env) checkTrainActivations(fs *flag.FlagSet, g *graph.Graph, batch int) error {
	_, total := activations(g, nil)
	what := setFlags(fs, fmt.Sprintf("--batch %d", batch), append([]string{"batch"}, modelSizeFlags...)...)
	if err := e.fits(float64(batch)*total*4, what, fmt.Sprintf("a training step of %d images", batch)); err != nil {
		return &usageError{err.Error()}
	}
	return nil
}

// finishTrain writes the final checkpoint and the loss plot, all or none:
// the plot is staged first and renamed only once the checkpoint is written.
// If the plot cannot be made, the checkpoint is still written (the run is
// not lost) and the error says so.
func finishTrain(e *env, f trainFlags, tr *train.Trainer, curve []float64) error {
	var set atomicfile.Set
	var plotErr error
	if f.plot != "" {
		png, err := renderLoss(curve, tr.Steps()-len(curve))
		if err == nil {
			err = set.Add(f.plot, png)
		}
		plotErr = err
	}
	if err := train.SaveCheckpoint(f.out, tr); err != nil {
		set.Abort()
		return err
	}
	if plotErr != nil {
		return fmt.Errorf("--plot %s: %v (the model was written to %s)", f.plot, plotErr, f.out)
	}
	if err := set.Commit(); err != nil {
		return fmt.Errorf("--plot: %v (the model was written to %s)", err, f.out)
	}
	if !f.quiet {
		fmt.Fprintf(e.stderr, "wrote %s after %d steps (optimizer state inside: continue with --resume %s)\n", f.out, tr.Steps(), f.out)
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

// trainProgress draws a live bar on a terminal; otherwise (a log file) it
// writes a line every 30 s and one per epoch.
type trainProgress struct {
	w                       io.Writer
	quiet, tty              bool
	batch, stepLimit, start int
	budget                  time.Duration // --time; 0 = none
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

// eta is the time to the end of the epoch, of --steps or of --time,
// whichever comes first, at the current speed.
func (p *trainProgress) eta(s train.Progress) time.Duration {
	left := s.EpochSteps - s.EpochStep
	if p.stepLimit > 0 {
		left = min(left, p.start+p.stepLimit-s.Step)
	}
	if s.ImagesPerSec <= 0 {
		return 0
	}
	eta := time.Duration(float64(left*p.batch) / s.ImagesPerSec * float64(time.Second))
	if p.budget > 0 {
		eta = min(eta, max(p.budget-s.Elapsed, 0))
	}
	return eta
}

// every is the interval between progress lines when stderr is not a terminal.
func (p *trainProgress) every() time.Duration {
	if p.interval > 0 {
		return p.interval
	}
	return 30 * time.Second
}

// note writes a line of its own, ending a live bar first.
func (p *trainProgress) note(s string) {
	if p.drawn {
		fmt.Fprintln(p.w)
		p.drawn = false
	}
	fmt.Fprintln(p.w, s)
}

func (p *trainProgress) finish() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}
