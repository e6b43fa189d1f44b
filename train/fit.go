package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
)

// Progress is what Fit reports after every step.
type Progress struct {
	Epoch      int // from 1
	Step       int // optimizer steps taken, resumed ones included
	EpochStep  int // steps taken in this epoch, from 1
	EpochSteps int // steps per epoch (images / batch, the last partial batch dropped)
	Images     int // images trained on by this Fit

	Loss            float64 // last batch, mean nats per pixel
	NatsPerImage    float64 // last batch
	BitsPerDim      float64 // last batch
	EpochBitsPerDim float64 // mean over this epoch's batches so far (in this Fit)
	LR              float64 // learning rate of the last step
	GradNorm        float64 // global gradient norm of the last step, before clipping

	ImagesPerSec float64       // images trained per second in this Fit
	Elapsed      time.Duration // since Fit started

	// EpochEnd is set on the last step of an epoch and Done on the last step
	// of Fit. On both the weights have been written back into the graph
	// (WriteBack), so the callback may checkpoint it, and Test holds the
	// test-set NLL when Fit was given one.
	EpochEnd, Done bool
	// TimeUp is set with Done when Options.Time ended Fit.
	TimeUp bool
	Test   *Result
}

// Fit trains on train for Options.Epochs epochs, Options.Steps steps or
// Options.Time, whichever ends first, shuffling each epoch with a permutation drawn from
// Options.Seed and the epoch number. A resumed trainer (SetAdamState)
// continues mid-epoch where the step count says. progress (may be nil) is
// called after every step, from Fit's goroutine. When ctx is cancelled Fit
// returns ctx.Err() after the current step, with the weights written back.
func (t *Trainer) Fit(ctx context.Context, train, test *dataset.Images, progress func(Progress)) error {
	if train.H != t.h || train.W != t.w {
		return fmt.Errorf("train: images are %dx%d but the model's input is %dx%d (crop them with dataset.Images.Crop)", train.H, train.W, t.h, t.w)
	}
	if test != nil && (test.H != t.h || test.W != t.w) {
		return fmt.Errorf("train: test images are %dx%d but the model's input is %dx%d", test.H, test.W, t.h, t.w)
	}
	b := t.opts.Batch
	spe := train.N / b
	if spe == 0 {
		return fmt.Errorf("train: %d images make no batch of %d", train.N, b)
	}
	epochs := t.opts.Epochs
	if epochs == 0 && t.opts.Steps == 0 && t.opts.Time == 0 {
		epochs = 1
	}
	hw := t.h * t.w
	levels := make([]uint8, b*hw)
	start := time.Now()
	p := Progress{EpochSteps: spe}
	var epochNats float64
	var epochN int
	stepsHere := 0
	startEpoch, lastEpoch := t.steps/spe, -1 // -1: no epoch limit
	epochSteps := 0                          // steps to the end of the last epoch; 0: no epoch limit
	if epochs > 0 {
		lastEpoch = startEpoch + epochs - 1 // a resumed partial epoch counts as one
		epochSteps = (lastEpoch+1)*spe - t.steps
	}
	// budgetDone is the fraction of the budget done: the largest of the
	// budgets' fractions, since the first to run out ends Fit.
	budgetDone := func() float64 {
		p := 0.0
		if t.opts.Steps > 0 {
			p = max(p, float64(stepsHere)/float64(t.opts.Steps))
		}
		if epochSteps > 0 {
			p = max(p, float64(stepsHere)/float64(epochSteps))
		}
		if t.opts.Time > 0 {
			p = max(p, float64(time.Since(start))/float64(t.opts.Time))
		}
		return min(p, 1)
	}
	for e := startEpoch; lastEpoch < 0 || e <= lastEpoch; e++ {
		perm := epochPerm(t.opts.Seed, e, train.N)
		epochNats, epochN = 0, 0
		for k := t.steps % spe; k < spe; k++ {
			if err := ctx.Err(); err != nil {
				if werr := t.WriteBack(); werr != nil {
					return werr
				}
				return err
			}
			for j := 0; j < b; j++ {
				dataset.Quantize(levels[j*hw:(j+1)*hw], train.Image(perm[k*b+j]), t.q)
			}
			labels, err := t.l.datasetLabels(train.Labels, func(j int) int { return perm[k*b+j] })
			if err == nil && labels != nil {
				err = t.l.setLabels(labels)
			}
			if err != nil {
				return err
			}
			t.progress = budgetDone()
			lr := t.LR()
			loss, err := t.stepLevels(levels)
			if err != nil {
				return err
			}
			stepsHere++
			epochNats += loss
			epochN++
			p.Epoch, p.Step, p.EpochStep = e+1, t.steps, k+1
			p.Images += b
			p.Loss, p.NatsPerImage, p.BitsPerDim = loss, loss*float64(hw), loss/math.Ln2
			p.EpochBitsPerDim = epochNats / float64(epochN) / math.Ln2
			p.LR, p.GradNorm = lr, t.norm
			p.Elapsed = time.Since(start)
			p.ImagesPerSec = float64(p.Images) / p.Elapsed.Seconds()
			p.EpochEnd = k == spe-1
			p.TimeUp = t.opts.Time > 0 && p.Elapsed >= t.opts.Time
			p.Done = t.opts.Steps > 0 && stepsHere >= t.opts.Steps || p.EpochEnd && e == lastEpoch || p.TimeUp
			p.Test = nil
			if p.EpochEnd || p.Done {
				if err := t.WriteBack(); err != nil {
					return err
				}
				if test != nil {
					r, err := Eval(ctx, t.g, test, EvalOptions{Batch: b, Threads: t.opts.Threads})
					if err != nil {
						return err
					}
					p.Test = &r
				}
			}
			if progress != nil {
				progress(p)
			}
			if p.Done {
				return nil
			}
		}
	}
	return t.WriteBack()
}

// epochPerm is the order of the images in epoch e (from 0).
func epochPerm(seed uint64, e, n int) []int {
	return rand.New(rand.NewPCG(seed, uint64(e)+0x9e3779b97f4a7c15)).Perm(n)
}
