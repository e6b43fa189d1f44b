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
	Config     string  `json:"config,omitempty"`
	Levels     int     `json:"levels,omitempty"`
	Batch      int     `json:"batch,omitempty"`
	Threads    int     `json:"threads,omitempty"`
	Backend    string  `json:"backend,omitempty"` // SGEMM of the Go kernels
	Conv       string  `json:"conv,omitempty"`    // the Go runtime's conv kernel (forward)
	Version    string  `json:"version,omitempty"` // ONNX Runtime's or PyTorch's
	Load1      float64 `json:"load1,omitempty"`   // 1-minute load average when the bench started
	Error      string  `json:"error,omitempty"`
}

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
	fmt.Fprintf(b.e.stdout, "%-9s %-10s %10s %10s %12s %12s %5s %9s %6s  %s\n", l.Bench, l.Engine,
		num(l.ImgPerS, 1), num(l.Seconds, -1), num(l.CPUImgPerS, 1), num(l.CPUSeconds, -1),
		num(float64(l.Reps), 0), num(l.PeakRSSMB, 0), num(l.Load1, 2), note)
}

func (b *benchRun) emitError(l benchLine, err error) {
	l.Error = err.Error()
	b.emit(l)
}

// rates fills the img/s figures of l from a result over n images.
func rates(l *benchLine, r bench.Result, n int) {
	l.Reps = r.Reps
	l.ImgPerS = float64(n) / r.Median.Seconds()
	if r.CPUMed > 0 {
		l.CPUImgPerS = float64(n) / r.CPUMed.Seconds()
	}
}

// printRatios prints the three goal ratios from the lines measured,
// by wall time and by process CPU time.
func (b *benchRun) printRatios() {
	find := func(bn, engine string) *benchLine {
		for i := range b.lines {
			if l := &b.lines[i]; l.Bench == bn && l.Engine == engine && l.Error == "" {
				return l
			}
		}
		return nil
	}
	w := b.e.stdout
	fmt.Fprintln(w, "\nratios (wall; cpu = per process CPU-second)        goal")
	row := func(name string, wall, cpu, goal float64, x string) {
		if wall == 0 {
			fmt.Fprintf(w, "  %-34s %8s %8s   >= %g%s\n", name, "n/a", "", goal, x)
			return
		}
		holds := "holds"
		if wall < goal {
			holds = "does not hold"
		}
		c := "-"
		if cpu > 0 {
			c = fmt.Sprintf("%.2f%s", cpu, x)
		}
		fmt.Fprintf(w, "  %-34s %7.2f%s %8s   >= %g%s: %s\n", name, wall, x, c, goal, x, holds)
	}
	div := func(a, b float64) float64 {
		if a == 0 || b == 0 {
			return 0
		}
		return a / b
	}
	var fw, fc, tw, tc, sw, sc float64
	if g, o := find(benchForward, "go"), find(benchForward, "ort"); g != nil && o != nil {
		fw, fc = div(g.ImgPerS, o.ImgPerS), div(g.CPUImgPerS, o.CPUImgPerS)
	}
	if g, p := find(benchTrain, "gorgonia"), find(benchTrain, "pytorch"); g != nil && p != nil {
		tw, tc = div(g.ImgPerS, p.ImgPerS), div(g.CPUImgPerS, p.CPUImgPerS)
	}
	if c, o := find(benchSample16, "go-cached"), find(benchSample16, "ort-naive"); c != nil && o != nil {
		sw, sc = div(o.Seconds, c.Seconds), div(o.CPUSeconds, c.CPUSeconds)
	}
	row("forward go/ort", fw, fc, 1.2, "")
	row("train gorgonia/pytorch", tw, tc, 1.0, "")
	row("sample16 go-cached vs ort-naive", sw, sc, 200, "x")
}
