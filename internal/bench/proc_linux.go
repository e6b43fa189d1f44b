package bench

import (
	"bytes"
	"os"
	"strconv"
	"syscall"
	"time"
)

// CPUTime returns the process's user+system CPU time (getrusage), all
// threads included; 0 if unavailable.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// PeakRSS returns the process's peak resident set size in bytes (VmHWM of
// /proc/self/status: the high-water mark since the process started or since
// the last ResetPeakRSS), or 0 if unknown.
func PeakRSS() int64 { return statusKB("VmHWM:") * 1024 }

// PeakRSSOf is PeakRSS of another process (by pid), or 0 if unknown.
func PeakRSSOf(pid int) int64 { return fileKB("/proc/"+strconv.Itoa(pid)+"/status", "VmHWM:") * 1024 }

// RSS returns the process's current resident set size in bytes (VmRSS), or
// 0 if unknown.
func RSS() int64 { return statusKB("VmRSS:") * 1024 }

// ResetPeakRSS sets the peak RSS mark to the current RSS (writes 5 to
// /proc/self/clear_refs, Linux 4.0+). It reports whether that worked; if not,
// PeakRSS stays the peak since the process started.
func ResetPeakRSS() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// MemAvailable returns the machine's MemAvailable from /proc/meminfo in
// bytes, or 0 if unknown.
func MemAvailable() int64 { return fileKB("/proc/meminfo", "MemAvailable:") * 1024 }

// LoadAvg returns the 1, 5 and 15 minute load averages (/proc/loadavg), or
// ok = false.
func LoadAvg() (l [3]float64, ok bool) {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return l, false
	}
	f := bytes.Fields(b)
	if len(f) < 3 {
		return l, false
	}
	for i := range l {
		if l[i], err = strconv.ParseFloat(string(f[i]), 64); err != nil {
			return l, false
		}
	}
	return l, true
}

func statusKB(key string) int64 { return fileKB("/proc/self/status", key) }

func fileKB(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if rest, ok := bytes.CutPrefix(line, []byte(key)); ok {
			f := bytes.Fields(rest)
			if len(f) == 0 {
				return 0
			}
			v, err := strconv.ParseInt(string(f[0]), 10, 64)
			if err != nil {
				return 0
			}
			return v
		}
	}
	return 0
}
