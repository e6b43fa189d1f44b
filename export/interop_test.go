package export_test

// Interoperability tests for issue 2: files we write pass Debian's onnx 1.12
// checker, run in ONNX Runtime 1.30, are causal there, and hold masked taps
// that are exactly 0. Missing tools fail the tests (see internal/testenv).

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// interopModels are the two models issue 2 names: the seed and a small q=256.
func interopModels() []struct {
	name string
	cfg  graph.Config
} {
	return []struct {
		name string
		cfg  graph.Config
	}{{"seed", graph.DefaultConfig()}, {"small-q256", testenv.Q256Config()}}
}

func encoded(t *testing.T, cfg graph.Config, opset int) []byte {
	t.Helper()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := export.Marshal(g, &export.Options{Opset: opset})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestCheckerAccepts(t *testing.T) {
	for _, m := range interopModels() {
		for _, opset := range []int{13, 17} {
			t.Run(fmt.Sprintf("%s/opset%d", m.name, opset), func(t *testing.T) {
				testenv.CheckModelBytes(t, encoded(t, m.cfg, opset))
			})
		}
	}
}

// randomLevels returns n images of quantized pixels scaled to [0,1].
func randomLevels(r *rand.Rand, n, hw, q int) []float32 {
	x := make([]float32, n*hw)
	for i := range x {
		x[i] = float32(r.IntN(q)) / float32(q-1)
	}
	return x
}

func TestORTRuns(t *testing.T) {
	for _, m := range interopModels() {
		t.Run(m.name, func(t *testing.T) {
			s, err := testenv.NewORTSession(t, encoded(t, m.cfg, 13), testenv.ORTOptions{})
			if err != nil {
				t.Fatal(err)
			}
			hw := m.cfg.Height * m.cfg.Width
			r := rand.New(rand.NewPCG(1, 2))
			for _, batch := range []int{1, 5} {
				x := randomLevels(r, batch, hw, m.cfg.Levels)
				out, err := s.Run(testenv.Float32("pixels", []int64{int64(batch), 1, int64(m.cfg.Height), int64(m.cfg.Width)}, x))
				if err != nil {
					t.Fatal(err)
				}
				want := []int64{int64(batch), int64(m.cfg.Levels), int64(m.cfg.Height), int64(m.cfg.Width)}
				if fmt.Sprint(out[0].Shape) != fmt.Sprint(want) || out[0].Name != "logits" {
					t.Fatalf("batch %d: output %v, want logits%v", batch, out[0], want)
				}
				for i, v := range out[0].Data {
					if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
						t.Fatalf("batch %d: logit %d is %v", batch, i, v)
					}
				}
			}
		})
	}
}

// TestORTCausal perturbs every input pixel j in turn and checks, in ONNX
// Runtime, that no logit at a position <= j (raster order, all q channels)
// changes, and that some later logit does (except for the last pixel).
// Item 0 of every batch is the unperturbed image, so all comparisons are
// between items of one run.
func TestORTCausal(t *testing.T) {
	for _, m := range interopModels() {
		t.Run(m.name, func(t *testing.T) {
			if testing.Short() && m.name == "seed" {
				t.Skip("seed model causality takes a few seconds; -short")
			}
			if err := ortCausality(t, encoded(t, m.cfg, 13), m.cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestORTCausalCatchesLeaks shows the check above can fail: a first layer
// that sees its own centre pixel, and a 3x3 conv that sees the row below.
func TestORTCausalCatchesLeaks(t *testing.T) {
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Head, c.Height, c.Width = 8, 4, 1, 8, 6, 6
	for _, leak := range []struct {
		name, init string
		tap        int // index inside one kh×kw kernel
	}{
		{"first layer sees its centre", "in/W", 3*7 + 3},
		{"3x3 sees the row below", "res00/b/W", 2*3 + 1},
	} {
		t.Run(leak.name, func(t *testing.T) {
			g, err := graph.PixelCNN(c)
			if err != nil {
				t.Fatal(err)
			}
			w := g.Init(leak.init)
			w.Mask = graph.MaskNone // pretend it is unmasked so the encoder accepts it
			taps := w.Const.Shape[2] * w.Const.Shape[3]
			for i := leak.tap; i < len(w.Const.F32); i += taps {
				w.Const.F32[i] = 0.5
			}
			b, err := export.Marshal(g, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := ortCausality(t, b, c); err == nil {
				t.Fatal("a leaking model passed the causality check")
			} else {
				t.Logf("caught: %v", err)
			}
		})
	}
}

// ortCausality runs the perturbation check described at TestORTCausal;
// conds are conditioning inputs (one value each, Shape unset) held fixed
// for every image.
func ortCausality(t *testing.T, model []byte, c graph.Config, conds ...testenv.ORTTensor) error {
	s, err := testenv.NewORTSession(t, model, testenv.ORTOptions{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hw, q := c.Height*c.Width, c.Levels
	base := randomLevels(rand.New(rand.NewPCG(3, 4)), 1, hw, q)
	const per = 32 // perturbed images per run, after the base image
	for j0 := 0; j0 < hw; j0 += per {
		n := min(per, hw-j0)
		x := make([]float32, (n+1)*hw)
		for i := 0; i <= n; i++ {
			copy(x[i*hw:], base)
		}
		for i := 0; i < n; i++ {
			j := j0 + i
			lvl := int(math.Round(float64(base[j]) * float64(q-1)))
			x[(i+1)*hw+j] = float32((lvl+1+i%(q-1))%q) / float32(q-1) // a different level
		}
		ins := []testenv.ORTTensor{testenv.Float32("pixels", []int64{int64(n + 1), 1, int64(c.Height), int64(c.Width)}, x)}
		for _, cd := range conds {
			v := make([]int64, n+1)
			for i := range v {
				v[i] = cd.Int64[0]
			}
			ins = append(ins, testenv.ORTTensor{Name: cd.Name, Shape: []int64{int64(n + 1)}, Int64: v})
		}
		out, err := s.Run(ins...)
		if err != nil {
			t.Fatal(err)
		}
		y := out[0].Data
		stride := q * hw
		for i := 0; i < n; i++ {
			j := j0 + i
			changedLater := false
			for ch := 0; ch < q; ch++ {
				for p := 0; p < hw; p++ {
					a, b := y[ch*hw+p], y[(i+1)*stride+ch*hw+p]
					if a == b {
						continue
					}
					if p <= j {
						return fmt.Errorf("pixel %d (row %d, col %d) changes logit %d at position %d (row %d, col %d): %v -> %v",
							j, j/c.Width, j%c.Width, ch, p, p/c.Width, p%c.Width, a, b)
					}
					changedLater = true
				}
			}
			if !changedLater && j < hw-1 {
				return fmt.Errorf("pixel %d changes no later logit", j)
			}
		}
	}
	return nil
}

// TestMaskedTapsZeroInFile reads the ONNX bytes directly (not through our
// decoder) and checks every tap that pixelgraph.masks says is hidden. The
// hidden set is written out here independently of graph.Mask.
func TestMaskedTapsZeroInFile(t *testing.T) {
	t.Parallel()
	for _, m := range interopModels() {
		var mp onnxpb.ModelProto
		if err := proto.Unmarshal(encoded(t, m.cfg, 13), &mp); err != nil {
			t.Fatal(err)
		}
		var masks map[string]string
		for _, kv := range mp.MetadataProps {
			if kv.GetKey() == "pixelgraph.masks" {
				if err := json.Unmarshal([]byte(kv.GetValue()), &masks); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(masks) != m.cfg.Blocks+1 {
			t.Fatalf("%s: %d masked initializers in metadata, want %d", m.name, len(masks), m.cfg.Blocks+1)
		}
		checked := 0
		for _, tp := range mp.Graph.Initializer {
			kind, ok := masks[tp.GetName()]
			if !ok {
				continue
			}
			kh, kw := int(tp.Dims[2]), int(tp.Dims[3])
			taps := kh * kw
			zeros := 0
			for i := 0; i < len(tp.RawData)/4; i++ {
				r, c := (i%taps)/kw, (i%taps)%kw
				hidden := r > kh/2 || (r == kh/2 && c > kw/2) || (kind == "A" && r == kh/2 && c == kw/2)
				if !hidden {
					continue
				}
				bits := uint32(tp.RawData[4*i]) | uint32(tp.RawData[4*i+1])<<8 | uint32(tp.RawData[4*i+2])<<16 | uint32(tp.RawData[4*i+3])<<24
				if bits != 0 { // +0.0 exactly: not -0, not tiny
					t.Fatalf("%s: %s (mask %s) element %d (row %d, col %d) has bits %08x", m.name, tp.GetName(), kind, i, r, c, bits)
				}
				zeros++
			}
			checked++
			if zeros == 0 {
				t.Fatalf("%s: %s has no hidden taps", m.name, tp.GetName())
			}
		}
		if checked != len(masks) {
			t.Fatalf("%s: checked %d of %d masked initializers", m.name, checked, len(masks))
		}
	}
}
