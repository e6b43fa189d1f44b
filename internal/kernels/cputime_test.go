package kernels

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuMeter reports, beside the wall-clock metrics, the same rate per CPU
// second ("cpu-" prefix). On a machine shared with other jobs a
// single-threaded benchmark's wall time includes waiting for a core; its CPU
// time does not, so the cpu- figure is the kernel's own speed. (With t
// threads a cpu- rate is per core, so compare it with t times its wall rate.)
type cpuMeter struct {
	b     *testing.B
	start time.Duration
}

func startCPU(b *testing.B) *cpuMeter { return &cpuMeter{b: b, start: cpuTime()} }

// report divides amount by the CPU seconds since startCPU and reports it
// under "cpu-"+unit.
func (m *cpuMeter) report(amount float64, unit string) {
	if s := (cpuTime() - m.start).Seconds(); s > 0 {
		m.b.ReportMetric(amount/s, "cpu-"+unit)
	}
}
