package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/pixelgraph/pixelgraph/internal/bench"
)

// benchRatio is a goal ratio of two engines timed in the same rounds: the
// median of the per-round ratios with their min and max, one JSON line
// after its bench, so that one run says whether the goal holds.
type benchRatio struct {
	Bench string `json:"bench"`
	// Ratio names it: "a/b" is how many times faster a is than b (b's
	// time over a's), except go-cached/go-forward, which is a time over a
	// time (sampling 16 images against one forward pass of 16).
	Ratio  string  `json:"ratio"`
	Median float64 `json:"median"`
	Min    float64 `json:"min"`
	Max    float64 `json:"max"`
	Rounds int     `json:"rounds"`
	// CPUMedian: the median of the same per-round ratios of process CPU
	// time instead of wall time (0 where CPU time is not measured).
	CPUMedian float64 `json:"cpu_median,omitempty"`
	Goal      string  `json:"goal"`  // issue 14's goal: ">= 1.5", "<= 2"
	Holds     bool    `json:"holds"` // the median meets the goal
	Config    string  `json:"config"`
	Batch     int     `json:"batch"`
	Threads   int     `json:"threads"`
}

// benchGoal is a goal for a ratio: at least or at most v.
type benchGoal struct {
	atMost bool
	v      float64
}

func (g benchGoal) String() string {
	op := ">="
	if g.atMost {
		op = "<="
	}
	return op + " " + strconv.FormatFloat(g.v, 'g', -1, 64)
}

func (g benchGoal) met(x float64) bool {
	if g.atMost {
		return x <= g.v
	}
	return x >= g.v
}

// benchGoals are issue 14's goals, by bench and ratio.
var benchGoals = map[[2]string]benchGoal{
	{benchForward, "go/ort"}:               {v: 1.5},
	{benchTrain, "gorgonia/pytorch"}:       {v: 1.5},
	{benchSample16, "ort-naive/go-cached"}: {v: 500},
	// Cached sampling does one forward pass's work (on live taps): its time
	// within 2x of one pass of the batch.
	{benchSample16, "go-cached/go-forward"}: {atMost: true, v: 2},
}

// goal is the goal of a ratio for the run's model: its own (benchModel.goals)
// or issue 14's.
func (b *benchRun) goal(bn, name string) benchGoal {
	if g, ok := b.model.goals[[2]string{bn, name}]; ok {
		return g
	}
	return benchGoals[[2]string{bn, name}]
}

// gatedGoals are issue 16's goals for the Gated PixelCNN: forward and the
// training step 1.2x ONNX Runtime and PyTorch, cached sampling of 16 images
// 200x ONNX Runtime's pixel-by-pixel loop.
var gatedGoals = map[[2]string]benchGoal{
	{benchForward, "go/ort"}:               {v: 1.2},
	{benchTrain, "gorgonia/pytorch"}:       {v: 1.2},
	{benchSample16, "ort-naive/go-cached"}: {v: 200},
}

// ratio records (and with --json prints) the ratio of bench's rounds:
// num[i]/den[i] of wall and CPU times; none when an engine did not run.
func (b *benchRun) ratio(bn, name string, batch int, num, den bench.Result) {
	g := b.goal(bn, name)
	s := bench.PairedRatios(num.Wall, den.Wall)
	r := benchRatio{Bench: bn, Ratio: name, Median: s.Median, Min: s.Min, Max: s.Max, Rounds: s.Rounds,
		Goal: g.String(), Holds: s.Rounds > 0 && g.met(s.Median), Config: b.f.config, Batch: batch, Threads: b.f.threads}
	if c := bench.PairedRatios(num.CPU, den.CPU); c.Rounds > 0 {
		r.CPUMedian = c.Median
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.ratios = append(b.ratios, r)
	if b.f.asJSON && r.Rounds > 0 {
		j, _ := json.Marshal(r)
		fmt.Fprintln(b.e.stdout, string(j))
	}
}

// scaled returns d with every time multiplied by k.
func scaled(d []time.Duration, k int) []time.Duration {
	s := make([]time.Duration, len(d))
	for i, v := range d {
		s[i] = v * time.Duration(k)
	}
	return s
}

// printRatios prints the goal ratios of the run after the table.
func (b *benchRun) printRatios() {
	w := b.e.stdout
	fmt.Fprintln(w, "\nratios: median of the per-round ratios [min, max] (wall time; cpu: the same of CPU times)   goal")
	for _, r := range b.ratios {
		name := fmt.Sprintf("%s %s, batch %d", r.Bench, r.Ratio, r.Batch)
		g := b.goal(r.Bench, r.Ratio)
		if r.Rounds == 0 {
			fmt.Fprintf(w, "  %-40s %28s %11s   %s: n/a\n", name, "n/a", "", r.Goal)
			continue
		}
		verdict := "does not hold"
		switch {
		case g.met(r.Min) && g.met(r.Max):
			verdict = "holds in every round"
		case r.Holds:
			verdict = "holds at the median, not in every round"
		}
		cpu := "-"
		if r.CPUMedian > 0 {
			cpu = fmt.Sprintf("cpu %.3g", r.CPUMedian)
		}
		fmt.Fprintf(w, "  %-40s %7.3g [%.3g, %.3g] %4d rounds %11s   %s: %s\n", name, r.Median, r.Min, r.Max, r.Rounds, cpu, r.Goal, verdict)
	}
}
