package train

import (
	"fmt"
	"time"
)

// Options configures a Trainer. The zero value of every field is its
// documented default (the seed's recipe).
type Options struct {
	LR    float64 // Adam learning rate; default 1e-3
	Decay float64 // learning rate factor per step under ScheduleExp; default 0.999995 (1 = none)
	// Schedule is the learning rate's course: ScheduleExp (the default),
	// LR·Decay^k at step k; or ScheduleCosine, LR·½(1+cos πp) where p is
	// the fraction of Fit's budget done before the step (the largest of
	// steps/Steps, steps/the Epochs' steps and elapsed/Time), so the rate
	// falls from LR to 0 as the budget runs out. A resumed trainer starts a
	// new cosine course over its own Fit's budget.
	Schedule string
	ClipNorm float64 // global gradient norm clip; default 1.0 (negative = none)
	Batch    int     // images per step; default 16
	Seed     uint64  // shuffling seed; 0 is a valid seed
	Steps    int     // Fit stops after this many steps of its own; 0 = no limit
	Epochs   int     // Fit stops after this many epochs; 0 = 1 unless Steps or Time is set
	// Time is a training time budget: Fit stops after the step that
	// reaches it (Progress.TimeUp), weights written back; 0 = no limit.
	Time    time.Duration
	Threads int     // goroutines a step keeps busy (kernels, serial passes, Adam); 0 = GOMAXPROCS. Sets no process state
	Beta1   float64 // Adam β1; default 0.9
	Beta2   float64 // Adam β2; default 0.999
	Eps     float64 // Adam ε; default 1e-8
	// Conv selects how convs run: ConvKernels (default) as pixelgraph's own
	// gorgonia ops on internal/kernels (live taps only, fused ReLU, fused
	// loss, buffers reused across steps), or ConvGorgonia as gorgonia's
	// Conv2d of W ⊙ M with its elementwise loss, kept for comparison.
	Conv string
}

// Values of Options.Conv.
const (
	ConvKernels  = "kernels"
	ConvGorgonia = "gorgonia"
)

// Values of Options.Schedule.
const (
	ScheduleExp    = "exp"
	ScheduleCosine = "cosine"
)

// Defaults of Options.
const (
	DefaultLR       = 1e-3
	DefaultDecay    = 0.999995
	DefaultClipNorm = 1.0
	DefaultBatch    = 16
)

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.LR == 0 {
		o.LR = DefaultLR
	}
	if o.Decay == 0 {
		o.Decay = DefaultDecay
	}
	if o.ClipNorm == 0 {
		o.ClipNorm = DefaultClipNorm
	}
	if o.Batch == 0 {
		o.Batch = DefaultBatch
	}
	if o.Beta1 == 0 {
		o.Beta1 = 0.9
	}
	if o.Beta2 == 0 {
		o.Beta2 = 0.999
	}
	if o.Eps == 0 {
		o.Eps = 1e-8
	}
	if o.Conv == "" {
		o.Conv = ConvKernels
	}
	if o.Schedule == "" {
		o.Schedule = ScheduleExp
	}
	switch {
	case o.Conv != ConvKernels && o.Conv != ConvGorgonia:
		return o, fmt.Errorf("train: Conv must be %q or %q, got %q", ConvKernels, ConvGorgonia, o.Conv)
	case o.Schedule != ScheduleExp && o.Schedule != ScheduleCosine:
		return o, fmt.Errorf("train: Schedule must be %q or %q, got %q", ScheduleExp, ScheduleCosine, o.Schedule)
	case o.Time < 0:
		return o, fmt.Errorf("train: Time must be >= 0, got %v", o.Time)
	case o.LR < 0:
		return o, fmt.Errorf("train: LR must be > 0, got %g", o.LR)
	case o.Decay < 0 || o.Decay > 1:
		return o, fmt.Errorf("train: Decay must be in (0, 1], got %g", o.Decay)
	case o.Batch < 0:
		return o, fmt.Errorf("train: Batch must be > 0, got %d", o.Batch)
	case o.Steps < 0 || o.Epochs < 0 || o.Threads < 0:
		return o, fmt.Errorf("train: Steps, Epochs and Threads must be >= 0, got %d, %d, %d", o.Steps, o.Epochs, o.Threads)
	case o.Beta1 < 0 || o.Beta1 >= 1 || o.Beta2 < 0 || o.Beta2 >= 1 || o.Eps < 0:
		return o, fmt.Errorf("train: Adam needs 0 <= β < 1 and ε >= 0, got β1 %g, β2 %g, ε %g", o.Beta1, o.Beta2, o.Eps)
	}
	return o, nil
}
