package graph

import "fmt"

// LabelName is the class-label input of a conditional Gated PixelCNN:
// int64 [N], one class in 0..Classes−1 per image.
const LabelName = "label"

// DefaultGatedConfig is the Gated PixelCNN pixelgraph exports with
// `--arch gated`: 1x28x28 input, q = 4 levels, 12 gated layers of c = 48
// channels (a 7x7 vertical and 1x7 horizontal first layer, then 3x3 and
// 1x3), a head of width 128, unconditional (Classes 0). Its live taps cost
// about the seed PixelCNN's multiply-adds per image (TestGatedCost).
func DefaultGatedConfig() Config {
	return Config{Arch: ArchGated, Levels: 4, Channels: 1, Height: 28, Width: 28, Filters: 48,
		Layers: 12, Head: 128, FirstKernel: 7, BlockKernel: 3, Seed: 1}
}

func (c Config) validateGated() error {
	if c.Levels < 2 {
		return &ConfigError{"Levels", fmt.Sprintf("need at least 2 levels, got %d", c.Levels)}
	}
	for _, p := range []struct {
		name string
		v    int
	}{{"Channels", c.Channels}, {"Height", c.Height}, {"Width", c.Width}, {"Filters", c.Filters},
		{"Layers", c.Layers}, {"Head", c.Head}, {"FirstKernel", c.FirstKernel}, {"BlockKernel", c.BlockKernel}} {
		if p.v <= 0 {
			return &ConfigError{p.name, fmt.Sprintf("must be > 0, got %d", p.v)}
		}
	}
	switch {
	case c.Hidden != 0 || c.Blocks != 0:
		return &ConfigError{"Hidden", fmt.Sprintf("hidden %d and blocks %d are PixelCNN fields; the gated model has filters and layers", c.Hidden, c.Blocks)}
	case c.Classes < 0:
		return &ConfigError{"Classes", fmt.Sprintf("must be >= 0, got %d", c.Classes)}
	case c.FirstKernel%2 == 0 || c.FirstKernel == 1:
		return &ConfigError{"FirstKernel", fmt.Sprintf("the first layer's masks need an odd kernel > 1, got %d", c.FirstKernel)}
	case c.BlockKernel%2 == 0:
		return &ConfigError{"BlockKernel", fmt.Sprintf("masks need an odd kernel, got %d", c.BlockKernel)}
	}
	return nil
}

// GatedPixelCNN builds the Gated PixelCNN of van den Oord et al. (2016),
// "Conditional Image Generation with PixelCNN Decoders", for grey images,
// with c = cfg.Filters, k1 = FirstKernel, k = BlockKernel:
//
//	pixels (N,C,H,W), values level/(q-1); label (N) int64 when Classes > 0
//	gNN, NN = 0 .. Layers−1 (layer 0 reads pixels on both stacks, k1):
//	  v     = vertical conv k×k, mask VA (layer 0) / VB, → 2c      [+ Ev[label]]
//	  vout  = tanh(v[:c]) ⊙ σ(v[c:])                       (not in the last layer)
//	  h     = horizontal conv 1×k, mask HA / HB, → 2c + link(v) [+ Eh[label]]
//	          link: 1x1 2c → 2c of the vertical conv's output
//	  g     = tanh(h[:c]) ⊙ σ(h[c:])
//	  hout  = res(g) + hin (1x1 c → c; no residual in layer 0; not in the last)
//	  skip += skip(g) (1x1 c → c)
//	head:   relu → 1x1 c → head → relu → 1x1 head → q·C
//	logits (N,q·C,H,W)
//
// The vertical stack at row i sees input rows < i only, the horizontal
// stack the row's pixels left of i: together every earlier pixel within
// reach (no blind spot). Masks are baked into the weights (graph.Mask);
// Ev and Eh are per-layer class tables (Classes, 2c, 1, 1) read by Gather,
// added inside both gates.
func GatedPixelCNN(cfg Config) (*Graph, error) {
	if !cfg.Gated() {
		return nil, &ConfigError{"Arch", fmt.Sprintf("GatedPixelCNN builds arch %s, got %q", ArchGated, cfg.Arch)}
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b := NewBuilder("gated_pixelcnn", cfg.Seed)
	x := b.Input(InputName, cfg.Channels, cfg.Height, cfg.Width)
	var label *Value
	if cfg.Classes > 0 {
		label = b.LabelInput(LabelName)
	}
	c := cfg.Filters
	v, h := x, x
	var skip *Value
	for i := 0; i < cfg.Layers; i++ {
		s := b.Scope(fmt.Sprintf("g%02d", i))
		k, vm, hm := cfg.BlockKernel, MaskVB, MaskHB
		if i == 0 {
			k, vm, hm = cfg.FirstKernel, MaskVA, MaskHA
		}
		last := i == cfg.Layers-1
		vp := s.Conv(v, ConvSpec{Name: "v", Out: 2 * c, Kernel: k, Pad: k / 2, Mask: vm})
		link := s.Conv(vp, ConvSpec{Name: "link", Out: 2 * c, Kernel: 1})
		if !last {
			vg := vp
			if label != nil {
				vg = s.ClassBias(vp, label, cfg.Classes, "vcond")
			}
			v = s.GateHalves(vg, "vgate")
		}
		hp := s.Conv(h, ConvSpec{Name: "h", Out: 2 * c, Kernel: 1, Width: k, Pads: &[4]int{0, k / 2, 0, k / 2}, Mask: hm})
		hp = s.Add(hp, link)
		if label != nil {
			hp = s.ClassBias(hp, label, cfg.Classes, "hcond")
		}
		g := s.GateHalves(hp, "hgate")
		sk := s.Conv(g, ConvSpec{Name: "skip", Out: c, Kernel: 1})
		if skip == nil {
			skip = sk
		} else {
			skip = s.Add(skip, sk)
		}
		if !last {
			r := s.Conv(g, ConvSpec{Name: "res", Out: c, Kernel: 1})
			if i > 0 {
				r = s.Add(r, h)
			}
			h = r
		}
	}
	hd := b.Scope("head")
	y := hd.Relu(skip)
	y = hd.Conv(y, ConvSpec{Name: "out", Out: cfg.Head, Kernel: 1})
	y = hd.Relu(y)
	y = hd.Conv(y, ConvSpec{Name: "logits", Out: cfg.Levels * cfg.Channels, Kernel: 1})
	b.Output(OutputName, y)
	g, err := b.Build()
	if err != nil {
		return nil, err
	}
	cc := cfg
	g.Config = &cc
	return g, nil
}

// LabelInput declares an int64 class-label input [N] (one class per image)
// with the symbolic batch dimension N.
func (b *Builder) LabelInput(name string) *Value {
	where, ok := b.inputPath(name)
	if !ok {
		return nil
	}
	return b.addInput(&Value{Name: where, DType: Int64, Shape: []int{-1}, DimNames: []string{BatchDim}})
}

// ClassBias returns x + E[label]: a learned vector of x's channels per
// class, broadcast over positions (the conditioning of a Gated PixelCNN's
// gates). E is the initializer "<scope>/<name>/E" (classes, C, 1, 1); in
// ONNX, Gather(E, label) on axis 0 gives (N,C,1,1) and Add broadcasts it.
func (b *Builder) ClassBias(x, label *Value, classes int, name string) *Value {
	where := b.autoName(name, "cond")
	if !b.usable(where, x, label) {
		return nil
	}
	switch {
	case classes <= 0:
		b.failf(where, "classes must be > 0, got %d", classes)
	case len(x.Shape) != 4 || x.Shape[1] <= 0:
		b.failf(where, "input %s must be (N,C,H,W) with C known, got %s", x.Name, x.TypeString())
	case label.DType != Int64 || len(label.Shape) != 1:
		b.failf(where, "label %s must be int64 [N], got %s", label.Name, label.TypeString())
	}
	if b.st.err != nil || !b.claim(where, where) || !b.claim(where, where+"/E") || !b.claim(where, where+"/gather") {
		return nil
	}
	ch := x.Shape[1]
	e := &Value{Name: where + "/E", DType: Float32,
		Const: NewFloat32([]int{classes, ch, 1, 1}, b.st.init.bias(where+"/E", ch, classes*ch))}
	e.Shape = e.Const.Shape
	b.st.g.Inits = append(b.st.g.Inits, e)
	gn := &Node{Name: where + "/gather", Op: "Gather", Inputs: []*Value{e, label},
		Attrs: []Attr{{Name: "axis", Type: AttrInt, I: 0}}}
	row := b.emit(gn, where+"/gather", label, []int{label.Shape[0], ch, 1, 1})
	return b.emit(&Node{Name: where, Op: "Add", Inputs: []*Value{x, row}}, where, x, append([]int(nil), x.Shape...))
}

// GateHalves returns the gated activation tanh(x[:, :c]) ⊙ σ(x[:, c:]) of
// a value of 2c channels: in ONNX two Slice nodes ("<gate>/f", "<gate>/g",
// on axis 1) and the Tanh, Sigmoid and Mul of Gate.
func (b *Builder) GateHalves(x *Value, name string) *Value {
	where := b.autoName(name, "gate")
	if !b.usable(where, x) {
		return nil
	}
	if len(x.Shape) != 4 || x.Shape[1] <= 0 || x.Shape[1]%2 != 0 {
		b.failf(where, "input %s must be (N,2c,H,W), got %s", x.Name, x.TypeString())
		return nil
	}
	c := x.Shape[1] / 2
	if !b.claim(where, where) || !b.claim(where, where+"/tanh") || !b.claim(where, where+"/sigmoid") {
		return nil
	}
	f := b.sliceChannels(x, 0, c, where+"/f")
	g := b.sliceChannels(x, c, 2*c, where+"/g")
	return b.gateAt(where, f, g)
}

// sliceChannels emits Slice(x, [c0], [c1], axes [1]) named name.
func (b *Builder) sliceChannels(x *Value, c0, c1 int, name string) *Value {
	if !b.claim(name, name) {
		return nil
	}
	ins := []*Value{x, b.i64(int64(c0)), b.i64(int64(c1)), b.i64(1)}
	shape := append([]int(nil), x.Shape...)
	shape[1] = c1 - c0
	return b.emit(&Node{Name: name, Op: "Slice", Inputs: ins}, name, x, shape)
}

// i64 returns the shared int64 initializer [v] named "i64_<v>" (Slice's
// starts, ends and axes), made on first use.
func (b *Builder) i64(v int64) *Value {
	name := fmt.Sprintf("i64_%d", v)
	for _, in := range b.st.g.Inits {
		if in.Name == name {
			return in
		}
	}
	if !b.claim(name, name) {
		return nil
	}
	t := NewInt64([]int{1}, []int64{v})
	c := &Value{Name: name, DType: Int64, Shape: t.Shape, Const: t}
	b.st.g.Inits = append(b.st.g.Inits, c)
	return c
}
