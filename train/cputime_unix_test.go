//go:build unix

package train

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user + system) the process has used: benchmarks
// report images per CPU-second beside images per second, a figure that
// holds up when other processes share the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
