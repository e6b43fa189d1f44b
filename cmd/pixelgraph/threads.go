package main

import (
	"flag"
	"fmt"
)

// threadsFlag is --threads, the one thread knob of every command that runs
// a model (issue 11): it becomes the library's Threads option, which no
// command turns into process-wide state. 0 means every core
// (runtime.GOMAXPROCS(0)), the libraries' own default.
type threadsFlag int

const maxThreads = 1024

func (t *threadsFlag) register(fs *flag.FlagSet, what string) {
	fs.IntVar((*int)(t), "threads", 0, "threads for "+what+" (0 = all cores)")
}

// check refuses a negative or absurd count as a usage error.
func (t threadsFlag) check() error {
	if t < 0 || t > maxThreads {
		return usagef("--threads must be in 0..%d, got %d", maxThreads, int(t))
	}
	return nil
}

func (t threadsFlag) String() string { return fmt.Sprint(int(t)) }
