package graph

import (
	"bytes"
	"errors"
	"testing"
)

func smallGated(classes int) Config {
	c := DefaultGatedConfig()
	c.Height, c.Width, c.Filters, c.Layers, c.Head, c.Classes = 8, 8, 4, 3, 8, classes
	return c
}

// TestGatedDumpGolden: the small conditional Gated PixelCNN as text (go
// test ./graph -update rewrites testdata/gated_small.dump).
func TestGatedDumpGolden(t *testing.T) {
	g, err := GatedPixelCNN(smallGated(3))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Dump(&buf, g); err != nil {
		t.Fatal(err)
	}
	golden(t, "gated_small.dump", buf.Bytes())
}

func TestGatedStructure(t *testing.T) {
	t.Parallel()
	for _, classes := range []int{0, 10} {
		cfg := DefaultGatedConfig()
		cfg.Classes = classes
		g, err := Build(cfg)
		if err != nil {
			t.Fatal(err)
		}
		wantIn := 1
		if classes > 0 {
			wantIn = 2
			if l := g.Inputs[1]; l.Name != LabelName || l.TypeString() != "int64[N]" {
				t.Errorf("label input %s %s", l.Name, l.TypeString())
			}
		}
		if len(g.Inputs) != wantIn || g.Inputs[0].TypeString() != "float32[N,1,28,28]" {
			t.Fatalf("inputs %v", g.Inputs)
		}
		if got := g.Outputs[0].TypeString(); got != "float32[N,4,28,28]" {
			t.Errorf("logits %s", got)
		}
		kinds := map[MaskKind]int{}
		tables := 0
		for _, v := range g.Inits {
			kinds[v.Mask]++
			if len(v.Shape) == 4 && v.Shape[0] == classes && v.Shape[2] == 1 && classes > 0 {
				tables++
			}
		}
		L := cfg.Layers
		if kinds[MaskVA] != 1 || kinds[MaskHA] != 1 || kinds[MaskVB] != L-1 || kinds[MaskHB] != L-1 {
			t.Errorf("mask kinds %v", kinds)
		}
		// vertical and horizontal tables per layer, minus the last layer's vertical one
		if want := map[bool]int{true: 2*L - 1, false: 0}[classes > 0]; tables != want {
			t.Errorf("%d class tables, want %d", tables, want)
		}
	}
}

// TestGatedCost: the default gated model's live taps cost about the seed
// PixelCNN's multiply-adds per pixel (within 10%), the documented default.
func TestGatedCost(t *testing.T) {
	t.Parallel()
	live := func(g *Graph) int {
		n := 0
		for _, nd := range g.Nodes {
			if nd.Op != "Conv" {
				continue
			}
			w := nd.Inputs[1]
			s := w.Const.Shape
			n += s[0] * s[1] * Live(w.Mask, s[2], s[3])
		}
		return n
	}
	seed, err := PixelCNN(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	gated, err := GatedPixelCNN(DefaultGatedConfig())
	if err != nil {
		t.Fatal(err)
	}
	s, g := live(seed), live(gated)
	t.Logf("multiply-adds per pixel: seed %d, gated %d (%.3fx); parameters: seed %d, gated %d", s, g, float64(g)/float64(s), ParamCount(seed), ParamCount(gated))
	if r := float64(g) / float64(s); r < 0.9 || r > 1.1 {
		t.Errorf("gated costs %.3fx the seed per pixel", r)
	}
	// the figures README states
	if s != 589312 || g != 578048 {
		t.Errorf("multiply-adds per pixel: seed %d, gated %d; README says 589312 and 578048", s, g)
	}
	if ps, pg := ParamCount(seed), ParamCount(gated); ps != 842500 || pg != 788568 {
		t.Errorf("parameters: seed %d, gated %d; docs/BENCHMARKS.md says 842500 and 788568", ps, pg)
	}
}

func TestGatedConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mod   func(*Config)
		field string
	}{
		{func(c *Config) { c.Layers = 0 }, "Layers"},
		{func(c *Config) { c.Classes = -1 }, "Classes"},
		{func(c *Config) { c.Hidden = 64 }, "Hidden"},
		{func(c *Config) { c.FirstKernel = 1 }, "FirstKernel"},
		{func(c *Config) { c.BlockKernel = 2 }, "BlockKernel"},
		{func(c *Config) { c.Arch = "pixelcnn++" }, "Arch"},
		{func(c *Config) { c.Levels = 1 }, "Levels"},
	} {
		cfg := DefaultGatedConfig()
		c.mod(&cfg)
		_, err := Build(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("field %s: got %v", c.field, err)
		}
	}
	// PixelCNN fields on the gated model and vice versa.
	p := DefaultConfig()
	p.Layers = 3
	if _, err := PixelCNN(p); err == nil {
		t.Error("a PixelCNN with layers built")
	}
	if _, err := PixelCNN(DefaultGatedConfig()); err == nil {
		t.Error("PixelCNN built arch gated")
	}
}

func TestBuilderGatedErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"VA on one row", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "v", Out: 4, Kernel: 1, Width: 3, Pads: &[4]int{0, 1, 0, 1}, Mask: MaskVA})
		}, "v: mask VA on a 1x3 kernel hides every tap"},
		{"HB without same pads", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "h", Out: 4, Kernel: 1, Width: 3, Pad: 1, Mask: MaskHB})
		}, "h: mask HB needs same padding [0 1 0 1]"},
		{"odd halves", func(b *Builder) {
			x := b.Input("x", 3, 8, 8)
			b.GateHalves(x, "gate")
		}, "gate: input x must be (N,2c,H,W)"},
		{"float label", func(b *Builder) {
			x := b.Input("x", 2, 8, 8)
			l := b.Input("l", 1, 1, 1)
			b.ClassBias(x, l, 10, "cond")
		}, "cond: label l must be int64 [N]"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder("g", 1)
			c.build(b)
			if _, err := b.Build(); err == nil || !bytes.Contains([]byte(err.Error()), []byte(c.want)) {
				t.Errorf("Build error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}
