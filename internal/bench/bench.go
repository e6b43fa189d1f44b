package bench

import (
	"errors"
	"slices"
	"time"
)

// Options control Measure. The zero value means: 1 warm-up run, at least 3
// repetitions, at most 1000, no time budget beyond the minimum.
type Options struct {
	Warmup  int           // untimed runs first; 0 means 1, negative none
	MinReps int           // timed runs at least; 0 means 3
	MaxReps int           // timed runs at most; 0 means 1000
	Budget  time.Duration // keep repeating while the timed runs took less
	// Gap is an untimed pause before each timed run of Interleave, so that
	// what one engine leaves running (ONNX Runtime's and OpenMP's worker
	// threads spin-wait after a call) does not run during the next engine's
	// timed run, nor count in its CPU time.
	Gap time.Duration
}

func (o Options) withDefaults() Options {
	if o.Warmup == 0 {
		o.Warmup = 1
	}
	if o.Warmup < 0 {
		o.Warmup = 0
	}
	if o.MinReps <= 0 {
		o.MinReps = 3
	}
	if o.MaxReps <= 0 {
		o.MaxReps = 1000
	}
	o.MaxReps = max(o.MaxReps, o.MinReps)
	return o
}

// Result summarizes the timed repetitions of one function.
type Result struct {
	Reps   int             // timed repetitions
	Wall   []time.Duration // wall-clock time of each repetition, in order
	CPU    []time.Duration // process CPU time (user+system) of each repetition
	Median time.Duration   // median of Wall
	CPUMed time.Duration   // median of CPU (0 where CPU time is not measurable)
}

// Measure runs f o.Warmup times untimed, then times it until at least
// o.MinReps repetitions ran and their wall time reached o.Budget (or
// o.MaxReps ran). The first error stops it.
func Measure(o Options, f func() error) (Result, error) {
	rs, err := Interleave(o, f)
	if err != nil {
		return Result{}, err
	}
	return rs[0], nil
}

// Interleave measures several functions in alternation: each round runs
// every function once, reversing the order every other round, so that a
// change of load on a shared machine hits all of them alike. The budget
// counts the wall time of all functions together.
func Interleave(o Options, fs ...func() error) ([]Result, error) {
	if len(fs) == 0 {
		return nil, errors.New("bench: nothing to measure")
	}
	o = o.withDefaults()
	for range o.Warmup {
		for _, f := range fs {
			if err := f(); err != nil {
				return nil, err
			}
		}
	}
	rs := make([]Result, len(fs))
	var spent time.Duration
	for round := 0; round < o.MaxReps && (round < o.MinReps || spent < o.Budget); round++ {
		for k := range fs {
			i := k
			if round%2 == 1 {
				i = len(fs) - 1 - k
			}
			if o.Gap > 0 {
				time.Sleep(o.Gap)
				spent += o.Gap // counts toward the budget: tiny runs stay short
			}
			c0, t0 := CPUTime(), time.Now()
			if err := fs[i](); err != nil {
				return nil, err
			}
			w := time.Since(t0)
			rs[i].Wall = append(rs[i].Wall, w)
			rs[i].CPU = append(rs[i].CPU, CPUTime()-c0)
			spent += w
		}
	}
	for i := range rs {
		rs[i].Reps = len(rs[i].Wall)
		rs[i].Median = Median(rs[i].Wall)
		rs[i].CPUMed = Median(rs[i].CPU)
	}
	return rs, nil
}

// Median returns the median of d (the mean of the middle two for an even
// count); 0 for none.
func Median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
