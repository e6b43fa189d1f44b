package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

func init() {
	register(&command{
		name:  "audit",
		args:  "MODEL [--structural-only --batch B -q]",
		short: "check that an ONNX PixelCNN is autoregressive (exit 0 causal, 1 not)",
		run:   runAudit,
	})
}

func runAudit(ctx context.Context, e *env, args []string) error {
	c := commands["audit"]
	fs := newFlagSet(c, e)
	structOnly := fs.Bool("structural-only", false, "skip the perturbation check (one forward pass per 16 input pixels)")
	batch := fs.Int("batch", 16, "perturbed images per forward pass")
	quiet := fs.Bool("q", false, "no progress on stderr")
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
	g, err := export.DecodeFile(pos[0], nil)
	if err != nil {
		return err
	}
	pr := newPixelProgress(e.stderr, "perturbing", *quiet)
	r, err := sample.Audit(ctx, g, sample.AuditOptions{SkipEmpirical: *structOnly, Batch: *batch, Progress: pr.update})
	pr.finish()
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "%s: %v", pos[0], r)
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
	return fmt.Errorf("%s: causality undecided: structural: %s; empirical: %s", pos[0], r.StructuralSkipped, r.EmpiricalSkipped)
}
