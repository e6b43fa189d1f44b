// Command pixelgraph builds, exports, inspects, trains, runs and samples
// PixelCNN models stored as ONNX files.
//
// Exit codes (also in the usage text, exitCodes):
//
//	0    success (audit: the model is causal)
//	1    an error; the message starts with "pixelgraph: " (audit: not causal)
//	2    a usage error: a bad flag or argument, named in the message
//	3    audit only: the file cannot be judged (unreadable, broken, unsupported)
//	130  interrupted by Ctrl-C (SIGINT); 143 by SIGTERM (128 + the signal's
//	     number). Both stop the command cleanly: train writes a checkpoint
//	     first. A second signal exits at once.
//
// Artefacts go to -o; progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/pixelgraph/pixelgraph/train"
)

// exitCodes is the table of exit codes printed with the usage.
const exitCodes = `exit codes: 0 success (audit: causal), 1 error (audit: not causal), 2 usage error,
  3 audit cannot judge the file, 130 Ctrl-C, 143 SIGTERM (train checkpoints first)`

// command is one subcommand. Each file registers its own in an init func.
type command struct {
	name  string
	args  string // usage after the name
	short string
	run   func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams and what it may know about
// the process. Tests swap them.
type env struct {
	stdout, stderr io.Writer
	// signal, when set, returns the number of the signal that cancelled the
	// context (0 if none); nil means SIGINT.
	signal func() int
	// mem, when set, replaces availableMemory (tests).
	mem func() (int64, string)
}

var commands = map[string]*command{}

func register(c *command) { commands[c.name] = c }

// usageError makes main exit 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func main() {
	// The CLI owns the process: gorgonia/tensor's header pool goes, so a
	// training step runs Adam on its threads (see train.DisableTensorPool).
	train.DisableTensorPool()
	ctx, cancel := context.WithCancel(context.Background())
	var caught atomic.Int32
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sigs
		caught.Store(int32(signalNumber(s)))
		cancel() // the command stops after its current step
		s = <-sigs
		fmt.Fprintf(os.Stderr, "pixelgraph: second %v: exiting now\n", s)
		os.Exit(128 + signalNumber(s))
	}()
	e := &env{stdout: os.Stdout, stderr: os.Stderr, signal: func() int { return int(caught.Load()) }}
	os.Exit(run(ctx, e, os.Args[1:]))
}

func signalNumber(s os.Signal) int {
	if n, ok := s.(syscall.Signal); ok {
		return int(n)
	}
	return int(syscall.SIGINT)
}

// exitCoder is an error that chooses its exit code (audit's 3).
type exitCoder interface {
	error
	ExitCode() int
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 {
		printUsage(e.stderr)
		return 2
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		if len(args) > 1 {
			c, ok := commands[args[1]]
			if !ok {
				fmt.Fprintf(e.stderr, "pixelgraph: unknown command %q\n", args[1])
				printUsage(e.stderr)
				return 2
			}
			// The command prints its usage and flags for -h.
			_ = c.run(ctx, &env{stdout: e.stdout, stderr: e.stdout}, []string{"-h"})
			return 0
		}
		printUsage(e.stdout)
		return 0
	case "-version", "--version":
		args = []string{"version"}
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "pixelgraph: unknown command %q\n", args[0])
		printUsage(e.stderr)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	var ue *usageError
	var ec exitCoder
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "pixelgraph %s: %v\n", c.name, err)
		fmt.Fprintf(e.stderr, "usage: pixelgraph %s %s (pixelgraph help %s)\n", c.name, c.args, c.name)
		return 2
	case ctx.Err() != nil:
		// Interrupted: the command has stopped (and said what it saved).
		fmt.Fprintf(e.stderr, "pixelgraph: %s: %v\n", c.name, err)
		sig := int(syscall.SIGINT)
		if e.signal != nil && e.signal() != 0 {
			sig = e.signal()
		}
		return 128 + sig
	case errors.As(err, &ec):
		fmt.Fprintf(e.stderr, "pixelgraph: %s: %v\n", c.name, err)
		return ec.ExitCode()
	default:
		fmt.Fprintf(e.stderr, "pixelgraph: %s: %v\n", c.name, err)
		return 1
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "usage: pixelgraph <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].short)
	}
	fmt.Fprintln(w, "\nRun 'pixelgraph help <command>' for its flags, 'pixelgraph version' for the build.")
	fmt.Fprintln(w, exitCodes)
}

// newFlagSet returns a flag set whose parse errors become usage errors.
func newFlagSet(c *command, e *env) *flag.FlagSet {
	fs := flag.NewFlagSet("pixelgraph "+c.name, flag.ContinueOnError)
	fs.SetOutput(e.stdout) // only -h prints through it: usage and flags on stdout
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: pixelgraph %s %s\n\n%s\n\nflags:\n", c.name, c.args, c.short)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags parses args; a bad flag is a usage error (exit 2), -h is not.
// Flags may come before or after positional arguments.
func parseFlags(fs *flag.FlagSet, args []string) ([]string, error) {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(out)
				fs.Usage()
				return nil, err
			}
			return nil, &usageError{strings.TrimSpace(err.Error())}
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// printJSON writes v as one JSON line: the --json output of eval and
// agreement.
func printJSON(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, string(b))
	return nil
}
