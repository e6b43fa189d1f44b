package main

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/pixelgraph/pixelgraph/internal/bench"
)

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
	// GFLOPS: the "peak" line's measured FMA peak of one core.
	GFLOPS float64 `json:"gflop_s,omitempty"`
	// GFLOPSLive, GFLOPSDense: the convs' multiply-adds (×2) done per
	// second of wall time, counted over live taps only and over all taps
	// (countConvWork; a training step counts 3 forward passes: forward,
	// input gradient, weight gradient).
	GFLOPSLive  float64 `json:"gflop_s_live,omitempty"`
	GFLOPSDense float64 `json:"gflop_s_dense,omitempty"`
	// PeakShareLive, PeakShareDense: those rates ÷ (the peak line's
	// GFLOP/s × threads).
	PeakShareLive  float64 `json:"peak_share_live,omitempty"`
	PeakShareDense float64 `json:"peak_share_dense,omitempty"`
	// MaxAbsDiff: the largest |logit − the Go runtime's logit| of one
	// forward pass of this engine on the same weights and input (ort: the
	// forward bench's batch; pytorch: the train bench's batch).
	MaxAbsDiff *float64 `json:"max_abs_diff,omitempty"`
	// Params: the model's parameter count as this engine built it.
	Params  int     `json:"params,omitempty"`
	Config  string  `json:"config,omitempty"`
	Levels  int     `json:"levels,omitempty"`
	Batch   int     `json:"batch,omitempty"`
	Threads int     `json:"threads,omitempty"`
	Backend string  `json:"backend,omitempty"` // SGEMM of the Go kernels
	Conv    string  `json:"conv,omitempty"`    // the Go runtime's conv kernel (forward)
	Version string  `json:"version,omitempty"` // ONNX Runtime's or PyTorch's
	Load1   float64 `json:"load1,omitempty"`   // 1-minute load average when the bench started
	Error   string  `json:"error,omitempty"`
}

// tableFormat is the table's row layout.
const tableFormat = "%-9s %-10s %10s %10s %12s %12s %5s %9s %6s %9s %6s  %s\n"

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
	if l.Bench == "peak" {
		fmt.Fprintf(b.e.stdout, "core peak: %.1f GFLOP/s (%s loop, best of %d); %%peak = GFLOP/s on live taps ÷ (peak × %d threads)\n\n",
			l.GFLOPS, l.Engine, l.Reps, b.f.threads)
		fmt.Fprintf(b.e.stdout, tableFormat, "bench", "engine", "img/s", "seconds", "cpu-img/s", "cpu-seconds", "reps",
			"GFLOP/s", "%peak", "peak MB", "load1", "note")
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
		if l.MaxAbsDiff != nil {
			parts = append(parts, fmt.Sprintf("max |logit diff| vs go %.2g", *l.MaxAbsDiff))
		}
		if l.GFLOPSDense > 0 {
			parts = append(parts, fmt.Sprintf("dense %.1f GFLOP/s (%.0f%%)", l.GFLOPSDense, 100*l.PeakShareDense))
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
	fmt.Fprintf(b.e.stdout, tableFormat, l.Bench, l.Engine,
		num(l.ImgPerS, 1), num(l.Seconds, -1), num(l.CPUImgPerS, 1), num(l.CPUSeconds, -1),
		num(float64(l.Reps), 0), num(l.GFLOPSLive, 1), num(100*l.PeakShareLive, 0), num(l.PeakRSSMB, 0), num(l.Load1, 2), note)
}

func (b *benchRun) emitError(l benchLine, err error) {
	l.Error = err.Error()
	b.emit(l)
}

// rates fills the img/s figures of l from a result over n images, and the
// GFLOP/s figures for passes forward passes' work per image.
func (b *benchRun) rates(l *benchLine, r bench.Result, n int, passes float64) {
	l.Reps = r.Reps
	l.ImgPerS = float64(n) / r.Median.Seconds()
	if r.CPUMed > 0 {
		l.CPUImgPerS = float64(n) / r.CPUMed.Seconds()
	}
	b.efficiency(l, passes*float64(n), r.Median.Seconds())
}

// efficiency fills the GFLOP/s figures of l: images forward passes of one
// image each took seconds.
func (b *benchRun) efficiency(l *benchLine, images, seconds float64) {
	if seconds <= 0 {
		return
	}
	live, dense := b.work.GFLOP()
	l.GFLOPSLive = live * images / seconds
	l.GFLOPSDense = dense * images / seconds
	if b.peak > 0 {
		peak := b.peak * float64(b.f.threads)
		l.PeakShareLive, l.PeakShareDense = l.GFLOPSLive/peak, l.GFLOPSDense/peak
	}
}
