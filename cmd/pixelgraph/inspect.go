package main

import (
	"context"
	"fmt"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func init() {
	register(&command{
		name:  "inspect",
		args:  "FILE",
		short: "describe an ONNX file: inputs/outputs, ops, parameters, masks, metadata, and the engine path of every node with the receptive field",
		run:   runInspect,
	})
}

func runInspect(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["inspect"], e)
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("want exactly one FILE, got %d arguments", len(pos))
	}
	path := pos[0]
	g, h, err := export.DecodeFileHeader(path, nil)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "file %s: %d bytes, ir_version %d, producer %q %s\n", path, h.Bytes, h.IRVersion, h.Producer, h.ProducerVersion)
	for _, op := range h.Opsets {
		d := op.Domain
		if d == "" {
			d = "ai.onnx"
		}
		fmt.Fprintf(e.stdout, "opset %s %d\n", d, op.Version)
	}
	if len(h.Metadata) > 0 {
		fmt.Fprintln(e.stdout, "file metadata:")
		for _, kv := range h.Metadata {
			fmt.Fprintf(e.stdout, "  %s = %s\n", kv.Key, graph.MetaSummary(kv.Value))
		}
	}
	fmt.Fprintln(e.stdout)
	if err := graph.Dump(e.stdout, g); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\nplan (the Go runtime's layers: fast chain or generic interpreter, per node):")
	return runtime.WritePlan(e.stdout, g, runtime.Options{})
}
