package graph

import (
	"fmt"
)

// Config sizes a PixelCNN (Arch "" or ArchPixelCNN) or a Gated PixelCNN
// (ArchGated). DefaultConfig is the seed model, DefaultGatedConfig the gated
// one; every size is a field. JSON names are the ones stored in ONNX
// metadata (pixelgraph.config); the gated fields are omitted when zero, so
// a PixelCNN's metadata is what it always was.
type Config struct {
	// Arch is the architecture: "" (or "pixelcnn") the seed PixelCNN,
	// "gated" the Gated PixelCNN (GatedPixelCNN). For the gated model,
	// Filters is c, the channels of each stack (gate inputs have 2c),
	// Layers the gated layers, FirstKernel the k of layer 0's k×k vertical
	// and 1×k horizontal convs, BlockKernel the later layers', Head the
	// width of the head's 1x1 conv; Hidden and Blocks are unused (0).
	Arch        string `json:"arch,omitempty"`
	Levels      int    `json:"levels"`            // q: intensity levels per pixel (logits per pixel)
	Channels    int    `json:"channels"`          // image channels (1 for MNIST)
	Height      int    `json:"height"`            // image height
	Width       int    `json:"width"`             // image width
	Filters     int    `json:"filters"`           // 2h: channels of the residual stream
	Hidden      int    `json:"hidden"`            // h: channels inside a residual block
	Blocks      int    `json:"blocks"`            // residual blocks
	Head        int    `json:"head"`              // width of the two output 1x1 convs
	FirstKernel int    `json:"first_kernel"`      // kernel of the mask-A input conv
	BlockKernel int    `json:"block_kernel"`      // kernel of each block's mask-B conv
	Seed        uint64 `json:"seed"`              // initializer seed
	Layers      int    `json:"layers,omitempty"`  // gated layers (Arch "gated")
	Classes     int    `json:"classes,omitempty"` // classes of the label input; 0 = unconditional (Arch "gated")
}

// Architectures (Config.Arch).
const (
	ArchPixelCNN = "pixelcnn"
	ArchGated    = "gated"
)

// Gated reports whether c describes a Gated PixelCNN.
func (c Config) Gated() bool { return c.Arch == ArchGated }

// DefaultConfig is the seed PixelCNN: 1x28x28 input, q = 4 levels, a 7x7
// mask-A conv to 2h = 128 filters, 15 residual blocks with h = 64 and 3x3
// mask-B convs, and a head of two 1x1 convs of width 128.
func DefaultConfig() Config {
	return Config{Levels: 4, Channels: 1, Height: 28, Width: 28, Filters: 128, Hidden: 64,
		Blocks: 15, Head: 128, FirstKernel: 7, BlockKernel: 3, Seed: 1}
}

// ConfigError names the Config field that is out of range.
type ConfigError struct {
	Field string // Go field name: "Levels", "BlockKernel", ...
	Msg   string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config %s: %s", e.Field, e.Msg) }

// Validate checks every size before anything is built.
func (c Config) Validate() error {
	switch c.Arch {
	case "", ArchPixelCNN:
	case ArchGated:
		return c.validateGated()
	default:
		return &ConfigError{"Arch", fmt.Sprintf("unknown architecture %q (want %s or %s)", c.Arch, ArchPixelCNN, ArchGated)}
	}
	if c.Layers != 0 || c.Classes != 0 {
		return &ConfigError{"Layers", fmt.Sprintf("layers %d and classes %d are Gated PixelCNN fields (arch %s)", c.Layers, c.Classes, ArchGated)}
	}
	pos := []struct {
		name string
		v    int
	}{
		{"Channels", c.Channels}, {"Height", c.Height}, {"Width", c.Width}, {"Filters", c.Filters},
		{"Hidden", c.Hidden}, {"Head", c.Head}, {"FirstKernel", c.FirstKernel}, {"BlockKernel", c.BlockKernel},
	}
	if c.Levels < 2 {
		return &ConfigError{"Levels", fmt.Sprintf("need at least 2 levels, got %d", c.Levels)}
	}
	for _, p := range pos {
		if p.v <= 0 {
			return &ConfigError{p.name, fmt.Sprintf("must be > 0, got %d", p.v)}
		}
	}
	if c.Blocks < 0 {
		return &ConfigError{"Blocks", fmt.Sprintf("must be >= 0, got %d", c.Blocks)}
	}
	if c.FirstKernel%2 == 0 {
		return &ConfigError{"FirstKernel", fmt.Sprintf("mask A needs an odd kernel, got %d", c.FirstKernel)}
	}
	if c.FirstKernel == 1 {
		return &ConfigError{"FirstKernel", "mask A on a 1x1 kernel hides every tap"}
	}
	if c.BlockKernel%2 == 0 {
		return &ConfigError{"BlockKernel", fmt.Sprintf("mask B needs an odd kernel, got %d", c.BlockKernel)}
	}
	return nil
}

// Input and output names of a PixelCNN graph.
const (
	InputName  = "pixels"
	OutputName = "logits"
)

// PixelCNN builds the model of van den Oord et al. (2016) for grey images:
//
//	pixels (N,C,H,W), values level/(q-1) in [0,1]
//	in:       masked A conv k×k, C → 2h
//	resNN ×B: x + c(relu(b(relu(a(relu(x))))))
//	          a: 1x1 2h → h; b: masked B conv k×k h → h; c: 1x1 h → 2h
//	head:     relu → out1 1x1 2h → head → relu → out2 1x1 head → head
//	          → logits 1x1 head → q·C
//	logits (N,q·C,H,W)
func PixelCNN(cfg Config) (*Graph, error) {
	if cfg.Gated() {
		return nil, &ConfigError{"Arch", "PixelCNN builds the seed architecture; use GatedPixelCNN (or Build) for arch gated"}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := NewBuilder("pixelcnn", cfg.Seed)
	x := b.Input(InputName, cfg.Channels, cfg.Height, cfg.Width)
	fk, bk := cfg.FirstKernel, cfg.BlockKernel
	h := b.Conv(x, ConvSpec{Name: "in", Out: cfg.Filters, Kernel: fk, Pad: fk / 2, Mask: MaskA})
	for i := 0; i < cfg.Blocks; i++ {
		r := b.Scope(fmt.Sprintf("res%02d", i))
		y := r.Relu(h)
		y = r.Conv(y, ConvSpec{Name: "a", Out: cfg.Hidden, Kernel: 1})
		y = r.Relu(y)
		y = r.Conv(y, ConvSpec{Name: "b", Out: cfg.Hidden, Kernel: bk, Pad: bk / 2, Mask: MaskB})
		y = r.Relu(y)
		y = r.Conv(y, ConvSpec{Name: "c", Out: cfg.Filters, Kernel: 1})
		h = r.Add(h, y)
	}
	hd := b.Scope("head")
	y := hd.Relu(h)
	y = hd.Conv(y, ConvSpec{Name: "out1", Out: cfg.Head, Kernel: 1})
	y = hd.Relu(y)
	y = hd.Conv(y, ConvSpec{Name: "out2", Out: cfg.Head, Kernel: 1})
	y = hd.Conv(y, ConvSpec{Name: "logits", Out: cfg.Levels * cfg.Channels, Kernel: 1})
	b.Output(OutputName, y)
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	c := cfg
	g.Config = &c
	return g, nil
}

// Build builds the model cfg describes: PixelCNN or GatedPixelCNN by
// cfg.Arch.
func Build(cfg Config) (*Graph, error) {
	if cfg.Gated() {
		return GatedPixelCNN(cfg)
	}
	return PixelCNN(cfg)
}
