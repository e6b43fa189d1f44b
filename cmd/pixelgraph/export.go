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
		args:  "-o FILE | --triton DIR [--arch pixelcnn|gated] [--levels Q --filters F --hidden H --blocks B | --layers L --classes K] [--head D --height H --width W --first-kernel K --block-kernel K --seed S --opset O --batch B --triton-name NAME --triton-max-batch N]",
		short: "build a PixelCNN (or a Gated PixelCNN: --arch gated) and write it as an ONNX file",
		run:   runExport,
	})
}

// Opsets `pixelgraph export` accepts: from the default up to the newest
// that Debian's onnx 1.12 checker validates (the library writes up to
// graph.MaxOpset; the CLI stays where a file can be checked).
const minExportOpset, maxExportOpset = graph.DefaultOpset, 17

// modelFlags are the model size flags shared by export and train. The
// defaults shown are the seed PixelCNN's (graph.DefaultConfig); with --arch
// gated, a flag left out takes graph.DefaultGatedConfig's value instead
// (filters 48, layers 12, head 128, kernels 7 and 3, classes 0).
type modelFlags struct {
	cfg  graph.Config
	arch string
}

func (m *modelFlags) register(fs *flag.FlagSet) {
	m.cfg = graph.DefaultConfig()
	c, gd := &m.cfg, graph.DefaultGatedConfig()
	fs.StringVar(&m.arch, "arch", graph.ArchPixelCNN, "architecture: pixelcnn (the seed) or gated (Gated PixelCNN: vertical and horizontal stacks, gated units, optional class conditioning)")
	fs.IntVar(&c.Levels, "levels", c.Levels, "intensity levels q per pixel (logits per pixel), >= 2")
	fs.IntVar(&c.Filters, "filters", c.Filters, fmt.Sprintf("channels 2h of the residual stream (gated: channels c of each stack, default %d)", gd.Filters))
	fs.IntVar(&c.Hidden, "hidden", c.Hidden, "channels h inside a residual block (pixelcnn)")
	fs.IntVar(&c.Blocks, "blocks", c.Blocks, "residual blocks (pixelcnn)")
	fs.IntVar(&c.Layers, "layers", gd.Layers, "gated layers (gated)")
	fs.IntVar(&c.Classes, "classes", gd.Classes, "classes of the label input, 0 = unconditional (gated)")
	fs.IntVar(&c.Head, "head", c.Head, "width of the two output 1x1 convs (gated: of the head's 1x1 conv)")
	fs.IntVar(&c.Height, "height", c.Height, "image height")
	fs.IntVar(&c.Width, "width", c.Width, "image width")
	fs.IntVar(&c.FirstKernel, "first-kernel", c.FirstKernel, "kernel of the mask-A input conv (odd; gated: of layer 0's k×k vertical and 1×k horizontal convs)")
	fs.IntVar(&c.BlockKernel, "block-kernel", c.BlockKernel, "kernel of each block's mask-B conv (odd; gated: of the later layers' convs)")
	fs.Uint64Var(&c.Seed, "seed", c.Seed, "initializer seed")
}

// flagFor maps graph.Config fields to the flags that set them.
var flagFor = map[string]string{
	"Levels": "--levels", "Filters": "--filters", "Hidden": "--hidden", "Blocks": "--blocks",
	"Head": "--head", "Height": "--height", "Width": "--width", "Channels": "channels",
	"FirstKernel": "--first-kernel", "BlockKernel": "--block-kernel",
	"Arch": "--arch", "Layers": "--layers", "Classes": "--classes",
}

// pixelCNNOnly and gatedOnly are the flags of one architecture.
var pixelCNNOnly, gatedOnly = []string{"hidden", "blocks"}, []string{"layers", "classes"}

// resolve makes m.cfg the config of m.arch: the flags given on the command
// line over the architecture's defaults. Idempotent.
func (m *modelFlags) resolve(fs *flag.FlagSet) error {
	switch m.arch {
	case graph.ArchPixelCNN:
		if set := flagsSet(fs, gatedOnly...); len(set) > 0 {
			return usagef("--%s is a Gated PixelCNN flag (add --arch gated)", set[0])
		}
		m.cfg.Arch, m.cfg.Layers, m.cfg.Classes = "", 0, 0
	case graph.ArchGated:
		if set := flagsSet(fs, pixelCNNOnly...); len(set) > 0 {
			return usagef("--%s is a PixelCNN flag; the gated model is sized by --filters and --layers", set[0])
		}
		g := graph.DefaultGatedConfig()
		given := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
		for _, f := range []struct {
			name     string
			dst, src *int
		}{
			{"levels", &g.Levels, &m.cfg.Levels}, {"filters", &g.Filters, &m.cfg.Filters}, {"layers", &g.Layers, &m.cfg.Layers},
			{"classes", &g.Classes, &m.cfg.Classes}, {"head", &g.Head, &m.cfg.Head}, {"height", &g.Height, &m.cfg.Height},
			{"width", &g.Width, &m.cfg.Width}, {"first-kernel", &g.FirstKernel, &m.cfg.FirstKernel}, {"block-kernel", &g.BlockKernel, &m.cfg.BlockKernel},
		} {
			if given[f.name] {
				*f.dst = *f.src
			}
		}
		g.Seed = m.cfg.Seed
		m.cfg = g
	default:
		return usagef("--arch must be %s or %s, got %q", graph.ArchPixelCNN, graph.ArchGated, m.arch)
	}
	return nil
}

// build validates the config, naming the flag at fault, checks that the
// weights (copies float32 copies of them, for job) and one image's forward
// pass fit in memory, and builds the graph.
func (m *modelFlags) build(e *env, fs *flag.FlagSet, copies float64, job string) (*graph.Graph, error) {
	if err := m.validate(fs); err != nil {
		return nil, err
	}
	if err := e.checkParams(fs, m.cfg, copies, job); err != nil {
		return nil, err
	}
	g, err := graph.Build(m.cfg)
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

// validate resolves the architecture's config and checks it, naming the
// flag at fault.
func (m *modelFlags) validate(fs *flag.FlagSet) error {
	if err := m.resolve(fs); err != nil {
		return err
	}
	if m.cfg.Blocks == 0 && !m.cfg.Gated() {
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
	if err := mf.validate(fs); err != nil {
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
	if c := mf.cfg; c.Gated() {
		fmt.Fprintf(e.stderr, "wrote %s: Gated PixelCNN levels=%d filters=%d layers=%d classes=%d, %d parameters, opset %d\n",
			*out, c.Levels, c.Filters, c.Layers, c.Classes, graph.ParamCount(g), *opset)
	} else {
		fmt.Fprintf(e.stderr, "wrote %s: PixelCNN levels=%d filters=%d hidden=%d blocks=%d, %d parameters, opset %d\n",
			*out, c.Levels, c.Filters, c.Hidden, c.Blocks, graph.ParamCount(g), *opset)
	}
	return nil
}
