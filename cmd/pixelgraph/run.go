package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func init() {
	register(&command{
		name:  "run",
		args:  "-m MODEL -i INPUT.pb [-i INPUT.pb ...] -o OUTDIR",
		short: "run an ONNX model in the Go runtime on TensorProto inputs; writes OUTDIR/output_<k>.pb",
		run:   runRun,
	})
}

// listFlag collects a repeated flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func runRun(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(commands["run"], e)
	model := fs.String("m", "", "ONNX model file (required)")
	var ins listFlag
	fs.Var(&ins, "i", "input TensorProto file, once per graph input, in the graph's input order")
	outDir := fs.String("o", "", "output folder; gets output_0.pb, output_1.pb, ... (required)")
	quiet := fs.Bool("q", false, "print nothing on success")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case *model == "":
		return usagef("-m MODEL is required")
	case *outDir == "":
		return usagef("-o OUTDIR is required")
	}
	g, err := export.DecodeFile(*model, nil)
	if err != nil {
		return err
	}
	if len(ins) != len(g.Inputs) {
		names := make([]string, len(g.Inputs))
		for i, v := range g.Inputs {
			names[i] = v.Name + " " + v.TypeString()
		}
		return usagef("%s has %d inputs (%s); got %d -i files", *model, len(g.Inputs), strings.Join(names, ", "), len(ins))
	}
	inputs := map[string]*graph.Tensor{}
	for i, path := range ins {
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		_, t, err := export.UnmarshalTensor(b, nil)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		inputs[g.Inputs[i].Name] = t
	}
	p, err := runtime.Compile(g)
	if err != nil {
		return err
	}
	outs, err := p.Run(ctx, inputs)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	for k, v := range g.Outputs {
		b, err := export.MarshalTensor(v.Name, outs[v.Name])
		if err != nil {
			return fmt.Errorf("output %s: %w", v.Name, err)
		}
		path := filepath.Join(*outDir, fmt.Sprintf("output_%d.pb", k))
		if err := export.WriteFileAtomic(path, b); err != nil {
			return err
		}
		if !*quiet {
			t := outs[v.Name]
			fmt.Fprintf(e.stderr, "wrote %s: %s %s%s\n", path, v.Name, t.DType, graph.ShapeString(t.Shape, nil))
		}
	}
	return nil
}
