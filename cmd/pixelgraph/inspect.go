package main

import (
	"context"
	"fmt"
	"os"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

func init() {
	register(&command{
		name:  "inspect",
		args:  "FILE",
		short: "describe an ONNX file: inputs/outputs, ops, parameters, masks, receptive field, metadata",
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
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	g, err := export.DecodeFile(path, nil)
	if err != nil {
		return err
	}
	// File-level facts the graph does not keep.
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	fmt.Fprintf(e.stdout, "file %s: %d bytes, ir_version %d, producer %q %s\n", path, len(raw), m.GetIrVersion(), m.GetProducerName(), m.GetProducerVersion())
	for _, op := range m.OpsetImport {
		d := op.GetDomain()
		if d == "" {
			d = "ai.onnx"
		}
		fmt.Fprintf(e.stdout, "opset %s %d\n", d, op.GetVersion())
	}
	if len(m.MetadataProps) > 0 {
		fmt.Fprintln(e.stdout, "file metadata:")
		for _, kv := range m.MetadataProps {
			fmt.Fprintf(e.stdout, "  %s = %s\n", kv.GetKey(), graph.MetaSummary(kv.GetValue()))
		}
	}
	fmt.Fprintln(e.stdout)
	return graph.Dump(e.stdout, g)
}
