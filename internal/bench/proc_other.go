//go:build !linux

package bench

import "time"

// CPUTime returns 0: process CPU time is only read on Linux.
func CPUTime() time.Duration { return 0 }

// PeakRSS returns 0: peak RSS is only read on Linux.
func PeakRSS() int64 { return 0 }

// RSS returns 0: RSS is only read on Linux.
func RSS() int64 { return 0 }

// ResetPeakRSS does nothing and reports false off Linux.
func ResetPeakRSS() bool { return false }

// MemAvailable returns 0 off Linux.
func MemAvailable() int64 { return 0 }

// LoadAvg is unknown off Linux.
func LoadAvg() (l [3]float64, ok bool) { return l, false }

// PeakRSSOf is PeakRSS of another process: unknown (0) on this system.
func PeakRSSOf(pid int) int64 { return 0 }
