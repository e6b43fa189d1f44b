package main

import (
	"context"
	"errors"
	"flag"
	"fmt"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/atomicfile"
)

func init() {
	register(&command{
		name:  "export",
		args:  "-o FILE | --triton DIR [--levels Q --filters F --hidden H --blocks B --head D --height H --width W --seed S --opset O --batch B --triton-name NAME --triton-max-batch N]",
		short: "build a PixelCNN and write it as an ONNX file",
		run:   runExport,
	})
}

// Opsets `pixelgraph export` accepts: from the default up to the newest
// that Debian's onnx 1.12 checker validates (the library writes up to
// graph.MaxOpset; the CLI stays where a file can be checked).
const minExportOpset, maxExportOpset = graph.DefaultOpset, 17

// modelFlags are the PixelCNN size flags shared by export and train.
type modelFlags struct {
	cfg graph.Config
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	m.cfg = graph.DefaultConfig()
	c := &m.cfg
	fs.IntVar(&c.Levels, "levels", c.Levels, "intensity levels q per pixel (logits per pixel), >= 2")
	fs.IntVar(&c.Filters, "filters", c.Filters, "channels 2h of the residual stream")
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "channels h inside a residual block")
	fs.IntVar(&c.Blocks, "blocks", c.Blocks, "residual blocks")
	fs.IntVar(&c.Head, "head", c.Head, "width of the two output 1x1 convs")
	fs.IntVar(&c.Height, "height", c.Height, "image height")
	fs.IntVar(&c.Width, "width", c.Width, "image width")
	fs.IntVar(&c.FirstKernel, "first-kernel", c.FirstKernel, "kernel of the mask-A input conv (odd)")
	fs.IntVar(&c.BlockKernel, "block-kernel", c.BlockKernel, "kernel of each block's mask-B conv (odd)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "initializer seed")
}

// flagFor maps graph.Config fields to the flags that set them.
var flagFor = map[string]string{
	"Levels": "--levels", "Filters": "--filters", "Hidden": "--hidden", "Blocks": "--blocks",
	"Head": "--head", "Height": "--height", "Width": "--width", "Channels": "channels",
	"FirstKernel": "--first-kernel", "BlockKernel": "--block-kernel",
}

// build validates the config, naming the flag at fault, checks that the
// weights (copies float32 copies of them, for job) and one image's forward
// pass fit in memory, and builds the graph.
func (m *modelFlags) build(e *env, fs *flag.FlagSet, copies float64, job string) (*graph.Graph, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	if err := e.checkParams(fs, m.cfg, copies, job); err != nil {
		return nil, err
	}
	g, err := graph.PixelCNN(m.cfg)
	if err != nil {
		return nil, err
	}
	// A model no image of which could run here is surely a typo.
	peak, _ := activations(g, nil)
	if err := e.fits(peak*4, setFlags(fs, "the model flags", modelSizeFlags...), "one image's forward pass through the model"); err != nil {
		return nil, &usageError{err.Error()}
	}
	return g, nil
}

// validate checks the config, naming the flag at fault.
func (m *modelFlags) validate() error {
	if m.cfg.Blocks == 0 {
		// 0 blocks is a valid graph but almost surely a typo for a size.
		return usagef("--blocks must be > 0, got 0")
	}
	if err := m.cfg.Validate(); err != nil {
		var ce *graph.ConfigError
		if errors.As(err, &ce) {
			return usagef("%s: %s", flagFor[ce.Field], ce.Msg)
		}
		return err
	}
	return nil
}

func runExport(ctx context.Context, e *env, args []string) error {
	c := commands["export"]
	fs := newFlagSet(c, e)
	var mf modelFlags
	mf.register(fs)
	out := fs.String("o", "", "output ONNX file (required unless --triton is given)")
	triton := fs.String("triton", "", "also (or only) write a Triton model repository entry: DIR/NAME/config.pbtxt and DIR/NAME/1/model.onnx")
	tritonName := fs.String("triton-name", "pixelcnn", "model name (folder) in the --triton repository")
	tritonMax := fs.Int("triton-max-batch", 64, "max_batch_size of the --triton config when the batch is symbolic (--batch 0)")
	opset := fs.Int("opset", graph.DefaultOpset, fmt.Sprintf("ONNX opset, %d..%d", minExportOpset, maxExportOpset))
	batch := fs.Int("batch", 0, "write a fixed batch size instead of the symbolic N (for runtimes that ignore symbolic dims, e.g. onnx-go); 0 = symbolic")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q", pos[0])
	}
	if *out == "" && *triton == "" {
		return usagef("-o FILE is required (or --triton DIR)")
	}
	if *tritonMax < 1 {
		return usagef("--triton-max-batch must be >= 1, got %d", *tritonMax)
	}
	if *batch < 0 {
		return usagef("--batch must be >= 0, got %d", *batch)
	}
	if *opset < minExportOpset || *opset > maxExportOpset {
		return usagef("--opset must be in %d..%d, got %d", minExportOpset, maxExportOpset, *opset)
	}
	if err := mf.validate(); err != nil {
		return err
	}
	if *out != "" {
		if err := atomicfile.CheckWritable(*out); err != nil {
			return err
		}
	}
	// Weights, their protobuf copy and the encoded bytes.
	g, err := mf.build(e, fs, 3, "building and writing the weights")
	if err != nil {
		return err
	}
	opts := &export.Options{Opset: *opset, Batch: *batch}
	if *triton != "" {
		dir, err := export.WriteTriton(*triton, g, opts, &export.TritonOptions{Name: *tritonName, MaxBatch: *tritonMax})
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "wrote %s: Triton model repository entry (config.pbtxt, 1/model.onnx)\n", dir)
	}
	if *out == "" {
		return nil
	}
	if err := export.WriteFile(*out, g, opts); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "wrote %s: PixelCNN levels=%d filters=%d hidden=%d blocks=%d, %d parameters, opset %d\n",
		*out, mf.cfg.Levels, mf.cfg.Filters, mf.cfg.Hidden, mf.cfg.Blocks, graph.ParamCount(g), *opset)
	return nil
}
