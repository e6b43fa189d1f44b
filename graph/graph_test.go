package graph

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files in ../testdata")

// golden compares got with ../testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("..", "testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./graph -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (-want +got):\n%s", path, lineDiff(string(want), string(got)))
	}
}

// lineDiff is a minimal line diff: the first differing lines with context.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var sb strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 20; i++ {
		var a, b string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			b = g[i]
		}
		if a != b {
			fmt.Fprintf(&sb, "line %d:\n-%s\n+%s\n", i+1, a, b)
			shown++
		}
	}
	return sb.String()
}

func TestMaskGolden(t *testing.T) {
	var sb strings.Builder
	for _, c := range []struct {
		kind MaskKind
		k    int
	}{{MaskA, 7}, {MaskB, 3}, {MaskA, 3}, {MaskB, 7}} {
		fmt.Fprintf(&sb, "mask %v %dx%d:\n%s\n", c.kind, c.k, c.k, MaskGrid(c.kind, c.k, c.k))
	}
	// The Gated PixelCNN's stacks: vertical k×k, horizontal 1×k.
	for _, c := range []struct {
		kind   MaskKind
		kh, kw int
	}{{MaskVA, 7, 7}, {MaskVB, 3, 3}, {MaskHA, 1, 7}, {MaskHB, 1, 3}, {MaskHA, 3, 3}} {
		fmt.Fprintf(&sb, "mask %v %dx%d:\n%s\n", c.kind, c.kh, c.kw, MaskGrid(c.kind, c.kh, c.kw))
	}
	golden(t, "masks.golden", []byte(sb.String()))
}

func TestMaskLiveTaps(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		kind   MaskKind
		kh, kw int
		live   int
	}{
		{MaskA, 7, 7, 24}, // 3 full rows of 7 + 3 to the left of the centre
		{MaskB, 7, 7, 25}, // ... plus the centre
		{MaskA, 3, 3, 4},
		{MaskB, 3, 3, 5},
		{MaskB, 1, 1, 1},
		{MaskA, 1, 1, 0},
		{MaskB, 3, 5, 8}, // 5 above + 2 left + centre
		{MaskNone, 2, 4, 8},
		{MaskVA, 7, 7, 21}, // the 3 rows above the centre
		{MaskVB, 3, 3, 6},  // ... and the centre row
		{MaskVA, 1, 3, 0},
		{MaskHA, 1, 7, 3}, // left of the centre
		{MaskHB, 1, 3, 2}, // ... and the centre
		{MaskHA, 3, 3, 1}, // the centre row only
		{MaskHA, 1, 1, 0},
	} {
		n := 0
		for _, x := range Mask(c.kind, c.kh, c.kw) {
			if x != 0 {
				n++
			}
		}
		if n != c.live {
			t.Errorf("Mask(%v, %d, %d): %d live taps, want %d", c.kind, c.kh, c.kw, n, c.live)
		}
	}
}

func TestBuilderErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		build func(b *Builder)
		want  string
	}{
		{"even masked kernel", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Scope("res03").Conv(x, ConvSpec{Name: "b", Out: 4, Kernel: 4, Pad: 2, Mask: MaskB})
		}, "res03/b: mask B needs an odd kernel, got 4"},
		{"mask A 1x1", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "in", Out: 4, Kernel: 1, Mask: MaskA})
		}, "in: mask A on a 1x1 kernel hides every tap"},
		{"masked strided", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "in", Out: 4, Kernel: 3, Pad: 1, Stride: 2, Mask: MaskA})
		}, "in: mask A needs stride 1 to stay causal, got 2"},
		{"masked without same pads", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "in", Out: 4, Kernel: 3, Mask: MaskA})
		}, "in: mask A needs same padding 1 on every side"},
		{"zero channels", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Scope("s").Conv(x, ConvSpec{Name: "c", Out: 0, Kernel: 1})
		}, "s/c: output channels must be > 0, got 0"},
		{"kernel larger than input", func(b *Builder) {
			x := b.Input("x", 1, 2, 2)
			b.Conv(x, ConvSpec{Name: "c", Out: 1, Kernel: 5})
		}, "c: kernel 5 (dilation 1) spans 5 pixels, more than the padded input 2x2 of x"},
		{"add shapes", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			y := b.Conv(x, ConvSpec{Name: "c", Out: 2, Kernel: 1})
			b.Scope("res00").Add(x, y)
		}, "res00/add1: shapes differ: x is float32[N,1,8,8], c is float32[N,2,8,8]"},
		{"duplicate name", func(b *Builder) {
			x := b.Input("x", 1, 8, 8)
			b.Conv(x, ConvSpec{Name: "c", Out: 2, Kernel: 1})
			b.Conv(x, ConvSpec{Name: "c", Out: 2, Kernel: 1})
		}, `c: name "c" is already used`},
		{"nil input keeps first error", func(b *Builder) {
			b.Conv(nil, ConvSpec{Name: "c", Out: 2, Kernel: 1})
			b.Relu(nil)
		}, "c: input is nil"},
		{"bad name", func(b *Builder) {
			b.Input("a/b", 1, 2, 2)
		}, `a/b: name "a/b" must not contain '/' or spaces`},
		{"no output", func(b *Builder) {
			b.Input("x", 1, 2, 2)
		}, "graph has no output"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := NewBuilder("t", 1)
			c.build(b)
			_, err := b.Build()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Build error = %v, want it to contain %q", err, c.want)
			}
		})
	}
}

func TestPixelCNNDefault(t *testing.T) {
	t.Parallel()
	g, err := PixelCNN(DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if got := g.Outputs[0].TypeString(); got != "float32[N,4,28,28]" {
		t.Errorf("logits type %s", got)
	}
	if got := g.Inputs[0].TypeString(); got != "float32[N,1,28,28]" {
		t.Errorf("pixels type %s", got)
	}
	// in: 128·1·49 + 128; per block: 64·128+64 + 64·64·9+64 + 128·64+128;
	// head: 128·128+128 twice, 4·128+4.
	want := 128*49 + 128 + 15*(64*128+64+64*64*9+64+128*64+128) + 2*(128*128+128) + 4*128 + 4
	if got := ParamCount(g); got != want {
		t.Errorf("ParamCount = %d, want %d", got, want)
	}
	masks := map[string]MaskKind{}
	for _, v := range g.Inits {
		if v.Mask != MaskNone {
			masks[v.Name] = v.Mask
		}
	}
	if len(masks) != 16 || masks["in/W"] != MaskA || masks["res03/b/W"] != MaskB {
		t.Errorf("masks = %v", masks)
	}
}

func TestPixelCNNDeterministic(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Blocks = 2
	a, _ := PixelCNN(cfg)
	b, _ := PixelCNN(cfg)
	var da, db bytes.Buffer
	Dump(&da, a)
	Dump(&db, b)
	if da.String() != db.String() {
		t.Fatal("two builds with the same seed differ")
	}
	cfg.Seed++
	c, _ := PixelCNN(cfg)
	var dc bytes.Buffer
	Dump(&dc, c)
	if dc.String() == da.String() {
		t.Fatal("a different seed gives the same weights")
	}
}

func TestPixelCNNConfigErrors(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		mod   func(*Config)
		field string
	}{
		{func(c *Config) { c.Levels = 1 }, "Levels"},
		{func(c *Config) { c.Filters = 0 }, "Filters"},
		{func(c *Config) { c.Hidden = -1 }, "Hidden"},
		{func(c *Config) { c.BlockKernel = 4 }, "BlockKernel"},
		{func(c *Config) { c.FirstKernel = 1 }, "FirstKernel"},
		{func(c *Config) { c.Blocks = -1 }, "Blocks"},
	} {
		cfg := DefaultConfig()
		c.mod(&cfg)
		_, err := PixelCNN(cfg)
		var ce *ConfigError
		if !errors.As(err, &ce) || ce.Field != c.field {
			t.Errorf("field %s: got %v", c.field, err)
		}
	}
}

func TestSetConstReappliesMask(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Blocks = 1
	g, _ := PixelCNN(cfg)
	w := g.Init("res00/b/W")
	ones := make([]float32, len(w.Const.F32))
	for i := range ones {
		ones[i] = 1
	}
	if err := w.SetConst(ones); err != nil {
		t.Fatal(err)
	}
	if err := CheckMasks(g); err != nil {
		t.Fatal(err)
	}
	// Poke a hidden tap directly: CheckMask must name tensor and tap.
	w.Const.F32[8] = 0.5 // [0,0,2,2]: the tap below-right of the centre
	err := CheckMask(w)
	var te *MaskTapError
	if !errors.As(err, &te) || te.Tensor != "res00/b/W" || te.Row != 2 || te.Col != 2 {
		t.Fatalf("CheckMask = %v", err)
	}
}

func TestDumpSmallGolden(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head = 8, 4, 2, 8
	cfg.Height, cfg.Width = 8, 8
	g, err := PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Dump(&buf, g); err != nil {
		t.Fatal(err)
	}
	golden(t, "pixelcnn_small.dump", buf.Bytes())
}

func TestMetaSummary(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("abcd", 100)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"short", "short"},
		{long[:256], long[:256]},
		{long, long[:48] + "... (400 bytes, crc32=" + fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(long))) + ")"},
	} {
		if got := MetaSummary(c.in); got != c.want {
			t.Errorf("MetaSummary(%d bytes) = %q, want %q", len(c.in), got, c.want)
		}
	}
}

// TestRecoverMasks: a weight whose zero pattern is mask A's or B's gets
// that kind back; a 1x1 weight, a full 3x3 one and another pattern do not.
func TestRecoverMasks(t *testing.T) {
	t.Parallel()
	g, err := PixelCNN(func() Config {
		c := DefaultConfig()
		c.Filters, c.Hidden, c.Blocks, c.Head, c.Height, c.Width = 4, 2, 2, 4, 8, 8
		return c
	}())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]MaskKind{}
	for _, v := range g.Inits {
		if v.Mask != MaskNone {
			want[v.Name] = v.Mask
			v.Mask = MaskNone // as a file without our metadata decodes
		}
	}
	odd := g.Init("res01/b/W")
	odd.Const.F32[8] = 0.25 // a tap below the centre: neither A nor B
	delete(want, "res01/b/W")
	got := map[string]MaskKind{}
	for _, v := range RecoverMasks(g) {
		got[v.Name] = v.Mask
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("recovered %v, want %v", got, want)
	}
	if odd.Mask != MaskNone || g.Init("head/out1/W").Mask != MaskNone {
		t.Errorf("odd pattern or 1x1 weight got a mask")
	}
}

func TestParseMaskKind(t *testing.T) {
	t.Parallel()
	for k := MaskNone; k <= MaskHB; k++ {
		got, err := ParseMaskKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseMaskKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	if _, err := ParseMaskKind("C"); err == nil {
		t.Error("mask C parsed")
	}
}
