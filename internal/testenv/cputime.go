package testenv

import (
	"testing"
	"time"

	"github.com/pixelgraph/pixelgraph/internal/bench"
)

// CPUTime is the user + system CPU time the whole process has used so far
// (getrusage; all threads), or 0 where that is unavailable. It is the clock
// `pixelgraph bench` reads (internal/bench.CPUTime). On a machine shared with
// other jobs a benchmark's wall time includes waiting for a core and its CPU
// time does not, so benchmarks report both.
func CPUTime() time.Duration { return bench.CPUTime() }

// CPUMeter reports a benchmark's rate per CPU second beside its wall-clock
// metrics. (With t threads a CPU rate is per core: compare it with t times
// the wall rate.)
type CPUMeter struct {
	b     *testing.B
	start time.Duration
}

// StartCPU starts a CPUMeter for b now.
func StartCPU(b *testing.B) *CPUMeter { return &CPUMeter{b: b, start: CPUTime()} }

// Elapsed is the process CPU time since StartCPU.
func (m *CPUMeter) Elapsed() time.Duration { return CPUTime() - m.start }

// Report divides amount by the CPU seconds since StartCPU and reports it
// under "cpu-"+unit; it reports nothing when no CPU time was measured.
func (m *CPUMeter) Report(amount float64, unit string) {
	if s := m.Elapsed().Seconds(); s > 0 {
		m.b.ReportMetric(amount/s, "cpu-"+unit)
	}
}
