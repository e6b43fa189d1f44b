// Command pixelgraph builds, exports, inspects, trains, runs and samples
// PixelCNN models stored as ONNX files.
//
// Usage errors exit 2, other errors exit 1; messages start with "pixelgraph: ".
// Artefacts go to -o; progress goes to stderr.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
)

// command is one subcommand. Each file registers its own in an init func.
type command struct {
	name  string
	args  string // usage after the name
	short string
	run   func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch: its streams. Tests swap them.
type env struct {
	stdout, stderr io.Writer
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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, &env{stdout: os.Stdout, stderr: os.Stderr}, os.Args[1:]))
}

// run executes one command line and returns the exit code.
func run(ctx context.Context, e *env, args []string) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			if c, ok := commands[args[1]]; ok {
				// The command prints its usage and flags for -h.
				_ = c.run(ctx, &env{stdout: e.stdout, stderr: e.stdout}, []string{"-h"})
				return 0
			}
		}
		printUsage(e.stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(e.stderr, "pixelgraph: unknown command %q\n", args[0])
		printUsage(e.stderr)
		return 2
	}
	err := c.run(ctx, e, args[1:])
	var ue *usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "pixelgraph %s: %v\n", c.name, err)
		fmt.Fprintf(e.stderr, "usage: pixelgraph %s %s (pixelgraph help %s)\n", c.name, c.args, c.name)
		return 2
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
	fmt.Fprintln(w, "\nRun 'pixelgraph help <command>' for its flags.")
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
