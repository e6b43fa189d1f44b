package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
	"github.com/pixelgraph/pixelgraph/internal/npy"
	"github.com/pixelgraph/pixelgraph/runtime"
)

func init() {
	register(&command{
		name:  "run",
		args:  "-m MODEL -i INPUT.pb|INPUT.npy [-i ...] -o OUTDIR [--threads T]",
		short: "run an ONNX model in the Go runtime on TensorProto (.pb) or NumPy (.npy) inputs; writes OUTDIR/output_<k>.pb",
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
	fs.Var(&ins, "i", "input file, once per graph input, in the graph's input order: an ONNX TensorProto (.pb) or a NumPy array (.npy); `pixelgraph tensor` makes them")
	outDir := fs.String("o", "", "output folder; gets output_0.pb, output_1.pb, ... (required)")
	quiet := fs.Bool("q", false, "print nothing on success")
	var threads threadsFlag
	threads.register(fs, "the forward pass")
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
	if err := threads.check(); err != nil {
		return err
	}
	if err := atomicfile.CheckDir(*outDir); err != nil {
		return fmt.Errorf("-o: %w", err)
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
		var t *graph.Tensor
		if npy.IsNPY(b) {
			t, err = npy.Read(b)
		} else {
			_, t, err = export.UnmarshalTensor(b, nil)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		inputs[g.Inputs[i].Name] = t
	}
	shapes := map[string][]int{}
	for name, t := range inputs {
		shapes[name] = t.Shape
	}
	if x := inputs[g.Inputs[0].Name]; len(x.Shape) > 1 && x.Shape[0] > 0 {
		job := func(k int) string { return "a forward pass of " + images(k) }
		what := fmt.Sprintf("-i %s (%d images)", ins[0], x.Shape[0])
		if err := e.checkForward(g, shapes, x.Shape[0], 0, what, job); err != nil {
			return err
		}
	}
	p, err := runtime.CompileWith(g, runtime.Options{Threads: int(threads)})
	if err != nil {
		return err
	}
	outs, err := p.Run(ctx, inputs)
	if err != nil {
		return err
	}
	// All outputs or none: each is staged beside its destination, then all
	// are renamed.
	if err := os.MkdirAll(*outDir, 0o755); err != nil {
		return err
	}
	var set atomicfile.Set
	var notes []string
	for k, v := range g.Outputs {
		b, err := export.MarshalTensor(v.Name, outs[v.Name])
		if err != nil {
			set.Abort()
			return fmt.Errorf("output %s: %w", v.Name, err)
		}
		path := filepath.Join(*outDir, fmt.Sprintf("output_%d.pb", k))
		if err := set.Add(path, b); err != nil {
			return err
		}
		t := outs[v.Name]
		notes = append(notes, fmt.Sprintf("wrote %s: %s %s%s", path, v.Name, t.DType, graph.ShapeString(t.Shape, nil)))
	}
	if err := set.Commit(); err != nil {
		return err
	}
	if !*quiet {
		fmt.Fprintln(e.stderr, strings.Join(notes, "\n"))
	}
	return nil
}
