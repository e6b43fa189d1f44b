package main

import (
	"context"
	"fmt"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/nll"
)

func init() {
	register(&command{
		name:  "eval",
		args:  "-m MODEL [--limit N] [--dataset mnist|fashion --data DIR] [--cond NAME=V | --class K] [--batch B] [--threads T] [--json]",
		short: "test-set NLL (nats/image, bits/dim) of a PixelCNN ONNX file, ours or foreign, with the Go runtime (a class-conditional model on the test labels)",
		run:   runEval,
	})
}

func runEval(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["eval"], e)
	model := fs.String("m", "", "ONNX model (required); q from pixelgraph metadata or the output's channel count")
	limit := fs.Int("limit", 0, "evaluate the first N test images (0 = all 10000)")
	var data dataFlags
	data.register(fs)
	var cf condFlags
	cf.register(fs, "hold the conditioning input of a model with one at class K for every image (default: each image's test label)")
	batch := fs.Int("batch", 16, "images per forward pass")
	var threads threadsFlag
	threads.register(fs, "the forward passes")
	asJSON := fs.Bool("json", false, `print one line {"nats_per_image":…,"bits_per_dim":…,"images":N}`)
	quiet := fs.Bool("q", false, "no progress on stderr")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case *model == "":
		return usagef("-m MODEL is required")
	case *limit < 0:
		return usagef("--limit must be >= 0, got %d", *limit)
	case *batch <= 0:
		return usagef("--batch must be > 0, got %d", *batch)
	}
	if err := threads.check(); err != nil {
		return err
	}
	g, err := export.DecodeFile(*model, nil)
	if err != nil {
		return err
	}
	fixed, _, _, err := cf.fixed(g, false)
	if err != nil {
		return err
	}
	opts := nll.Options{Batch: *batch, Limit: *limit, Fixed: map[string]int64{}, Threads: int(threads)}
	for _, c := range fixed {
		opts.Fixed[c.Name] = c.Values[0]
	}
	// A conditioning input left free takes the test labels (one at most).
	for _, v := range graph.CondInputs(g) {
		if _, ok := opts.Fixed[v.Name]; !ok {
			if opts.Labels != "" {
				return usagef("the model has conditioning inputs %s and %s: hold one with --cond NAME=V (the other takes the test labels)", opts.Labels, v.Name)
			}
			opts.Labels = v.Name
		}
	}
	test, err := data.load(dataset.Test)
	if err != nil {
		return err
	}
	if opts.Labels != "" {
		if err := checkClasses(g, test); err != nil {
			return err
		}
	}
	if in, err := graph.ImageInput(g); err == nil && len(in.Shape) == 4 {
		if test, err = cropTo(test, in.Shape[2], in.Shape[3]); err != nil {
			return err
		}
	}
	job := func(k int) string { return "a forward pass of " + images(k) }
	if err := e.checkForward(g, nil, *batch, 0, fmt.Sprintf("--batch %d", *batch), job); err != nil {
		return err
	}
	pp := newPixelProgress(e.stderr, "eval", *quiet || *asJSON)
	pp.unit = "images"
	opts.Progress = pp.update
	r, err := nll.Evaluate(ctx, g, test, opts)
	pp.finish()
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(e.stdout, r)
	}
	fmt.Fprintf(e.stdout, "%s: %.4f bits/dim, %.2f nats/image over %d test images\n", *model, r.BitsPerDim, r.NatsPerImage, r.Images)
	return nil
}
