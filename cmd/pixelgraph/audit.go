package main

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "audit",
		args:  "MODEL [--structural-only --batch B --cond NAME=V | --class K --threads T -q]",
		short: "check that an ONNX PixelCNN is autoregressive (exit 0 causal, 1 not causal, 2 usage, 3 cannot judge the file)",
		run:   runAudit,
	})
}

// cannotJudge is audit's exit 3: the file could not be judged (unreadable,
// not valid ONNX, outside what the checks run, too big, or both checks
// undecided), which is not a verdict of "not causal".
type cannotJudge struct{ err error }

func (c *cannotJudge) Error() string { return "cannot judge: " + c.err.Error() }
func (c *cannotJudge) Unwrap() error { return c.err }
func (c *cannotJudge) ExitCode() int { return 3 }

func runAudit(ctx context.Context, e *env, args []string) error {
	c := commands["audit"]
	fs := newFlagSet(c, e)
	structOnly := fs.Bool("structural-only", false, "skip the perturbation check (one forward pass per 16 input pixels)")
	batch := fs.Int("batch", 16, "perturbed images per forward pass")
	var threads threadsFlag
	threads.register(fs, "the perturbation check's forward passes")
	quiet := fs.Bool("q", false, "no progress on stderr")
	var cf condFlags
	cf.register(fs, "hold the conditioning input of a model with one at class K during the perturbation check (default 0)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: pixelgraph audit %s\n\n%s\n\n", c.args, c.short)
		fmt.Fprintln(fs.Output(), "exit status: 0 causal; 1 not causal (the leak is named); 2 usage error;")
		fmt.Fprintln(fs.Output(), "3 the file cannot be judged (unreadable, broken, unsupported, too big, or no check could decide)")
		fmt.Fprintln(fs.Output(), "\nflags:")
		fs.PrintDefaults()
	}
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) == 0:
		return usagef("MODEL is required")
	case len(pos) > 1:
		return usagef("unexpected argument %q", pos[1])
	case *batch < 1:
		return usagef("--batch must be >= 1, got %d", *batch)
	}
	if err := threads.check(); err != nil {
		return err
	}
	g, err := export.DecodeFile(pos[0], nil)
	if err != nil {
		return &cannotJudge{err}
	}
	conds, _, _, err := cf.fixed(g, false)
	if err != nil {
		return err
	}
	// A conditioning input left free is held at 0: the check perturbs
	// pixels, never the condition.
	for _, v := range graph.CondInputs(g) {
		if !slices.ContainsFunc(conds, func(c sample.Cond) bool { return c.Name == v.Name }) {
			conds = append(conds, sample.Cond{Name: v.Name, Values: []int64{0}})
		}
	}
	if !*structOnly {
		job := func(k int) string { return "the perturbation check's forward pass of " + images(k) }
		if err := e.checkForward(g, nil, *batch, 0, fmt.Sprintf("--batch %d", *batch), job); err != nil {
			var ue *usageError
			if errors.As(err, &ue) {
				return err
			}
			return &cannotJudge{fmt.Errorf("%v (--structural-only skips it)", err)}
		}
	}
	pr := newPixelProgress(e.stderr, "perturbing", *quiet)
	r, err := sample.Audit(ctx, g, sample.AuditOptions{SkipEmpirical: *structOnly, Batch: *batch, Progress: pr.update, Cond: conds, Threads: int(threads)})
	pr.finish()
	if err != nil {
		if ctx.Err() != nil {
			return err
		}
		return &cannotJudge{err}
	}
	fmt.Fprintf(e.stdout, "%s: %v", pos[0], r)
	if note := condNote(conds, "", nil); note != "" && !*structOnly {
		fmt.Fprintf(e.stdout, "conditioning held fixed: %s\n", note[2:])
	}
	if r.Causal {
		return nil
	}
	var ce *sample.CausalityError
	switch {
	case errors.As(r.Structural, &ce):
		return fmt.Errorf("%s is not causal: %v", pos[0], ce)
	case len(r.Leaks) > 0:
		return fmt.Errorf("%s is not causal: %v", pos[0], r.Leaks[0])
	}
	return &cannotJudge{fmt.Errorf("%s: causality undecided: structural: %s; empirical: %s", pos[0], r.StructuralSkipped, r.EmpiricalSkipped)}
}
