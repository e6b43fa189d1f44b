package kernels

import (
	"fmt"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// Benchmarks run on one thread unless their name says otherwise.
// BenchmarkSgemm runs every level this CPU allows and, built with the
// openblas tag, OpenBLAS (which reads OPENBLAS_CORETYPE: the environment
// sets Haswell, the AVX2 kernel; unset it in the command for OpenBLAS's
// native choice):
//
//	go test -tags openblas -run '^$' -bench Sgemm ./internal/kernels/
//	env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE go test -tags openblas -run '^$' -bench . ./internal/kernels/

// sgemmShapes are (m, n, k) of the seed model's GEMMs (3x3 dense and mask
// B, the 1x1s, per image and over 4 and 16 images) and two squares.
var sgemmShapes = [][3]int{{128, 784, 576}, {64, 784, 320}, {64, 784, 128}, {128, 784, 64}, {64, 3136, 320},
	{64, 3136, 128}, {128, 3136, 64}, {64, 12544, 128}, {512, 512, 512}, {1024, 1024, 1024}}

// sgemmEngines are the SGEMMs to compare: each level, and OpenBLAS when
// built in (run at the best level; only Sgemm's product changes).
func sgemmEngines() []string {
	var e []string
	for _, l := range levels() {
		e = append(e, l.String())
	}
	if openblasBuilt {
		e = append(e, "openblas")
	}
	return e
}

// useEngine sets the level (and OpenBLAS on or off) of engine e and
// returns the function that restores both.
func useEngine(e string) func() {
	old := openblasOn
	openblasOn = e == "openblas"
	l := maxLevel
	for _, x := range levels() {
		if x.String() == e {
			l = x
		}
	}
	restore := setLevel(l)
	return func() { restore(); openblasOn = old }
}

func BenchmarkSgemm(b *testing.B) {
	for _, s := range sgemmShapes {
		m, n, k := s[0], s[1], s[2]
		for _, threads := range []int{1, 2} {
			for _, e := range sgemmEngines() {
				if e == "generic" && m*n*k > 64<<20 {
					continue // minutes at gonum's speed
				}
				b.Run(fmt.Sprintf("%dx%dx%d/t%d/%s", m, n, k, threads, e), func(b *testing.B) {
					defer useEngine(e)()
					b.Logf("backend: %s", Backend())
					a, bb, c := randSlice(1, m*k), randSlice(2, k*n), make([]float32, m*n)
					cpu := testenv.StartCPU(b)
					for b.Loop() {
						Sgemm(threads, false, false, m, n, k, 1, a, k, bb, n, 0, c, n)
					}
					gflop := 2 * float64(m*n*k) * float64(b.N) / 1e9
					b.ReportMetric(gflop/b.Elapsed().Seconds(), "GFLOP/s")
					cpu.Report(gflop, "GFLOP/s")
				})
			}
		}
	}
}

// seedLayers are the conv shapes of graph.DefaultConfig at 28x28.
var seedLayers = []struct {
	name         string
	in, out, k   int
	mask         graph.MaskKind
	reluIn, relu bool
}{
	{"7x7A_1to128", 1, 128, 7, graph.MaskA, false, false},
	{"1x1_128to64", 128, 64, 1, graph.MaskNone, true, true},
	{"3x3B_64to64", 64, 64, 3, graph.MaskB, false, true},
	{"1x1_64to128", 64, 128, 1, graph.MaskNone, false, false},
}

func BenchmarkConv(b *testing.B) {
	const n, hw = 16, 28
	for _, l := range seedLayers {
		for _, dir := range []string{"fwd", "bwd", "nhwc"} {
			b.Run(fmt.Sprintf("%s/%s/batch%d", l.name, dir, n), func(b *testing.B) {
				pl, err := NewConvPlan(ConvParams{In: l.in, Out: l.out, KH: l.k, KW: l.k, H: hw, W: hw,
					Pads: [4]int{l.k / 2, l.k / 2, l.k / 2, l.k / 2}, Taps: LiveTaps(graph.Mask(l.mask, l.k, l.k))})
				if err != nil {
					b.Fatal(err)
				}
				x, y := randSlice(1, n*pl.XSize()), make([]float32, n*pl.YSize())
				wp, bias := pl.Pack(nil, randSlice(2, pl.WSize())), randSlice(3, l.out)
				dx, dwp, db := make([]float32, len(x)), make([]float32, len(wp)), make([]float32, l.out)
				wd := pl.PackDirect(nil, randSlice(2, pl.WSize()))
				ws := Workspace{Threads: 1}
				f := Fuse{ReluIn: l.reluIn, ReluOut: l.relu}
				gemms := 1.0 // forward: one product; backward: dw and dx
				cpu := testenv.StartCPU(b)
				for b.Loop() {
					switch dir {
					case "fwd":
						pl.Forward(&ws, y, x, wp, bias, n, f)
					case "nhwc":
						pl.ForwardNHWC(&ws, y, x, wd, bias, n, f)
					default:
						gemms = 2
						pl.Backward(&ws, dx, dwp, db, y, x, wp, n, l.reluIn)
					}
				}
				gflop := gemms * 2 * float64(l.out*pl.K*pl.OH*pl.OW*n) * float64(b.N) / 1e9
				b.ReportMetric(gflop/b.Elapsed().Seconds(), "GFLOP/s")
				b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "img/s")
				cpu.Report(gflop, "GFLOP/s")
				cpu.Report(float64(n*b.N), "img/s")
			})
		}
	}
}

// BenchmarkSeedForward is the whole seed model (graph.DefaultConfig, its own
// initial weights) composed of this package's kernels: see seedNet.
func BenchmarkSeedForward(b *testing.B) {
	b.Logf("backend: %s", Backend())
	cfg := graph.DefaultConfig()
	s := newSeedNet(b, cfg)
	layouts := []bool{false}
	if HasDirect() {
		layouts = append(layouts, true)
	}
	for _, nhwc := range layouts {
		for _, threads := range []int{1, 2} {
			for _, bs := range [][2]int{{1, 1}, {16, 1}, {16, 2}, {16, 4}, {16, 16}} {
				n, sub := bs[0], bs[1]
				if n == 1 && threads > 1 {
					continue
				}
				layout := "nchw"
				if nhwc {
					layout = "nhwc"
				}
				b.Run(fmt.Sprintf("%s/batch%d/sub%d/t%d", layout, n, sub, threads), func(b *testing.B) {
					s.sub, s.nhwc = sub, nhwc
					x := randSlice(1, n*cfg.Channels*cfg.Height*cfg.Width)
					s.threads = threads
					s.forward(x, n) // size the buffers
					cpu := testenv.StartCPU(b)
					for b.Loop() {
						s.forward(x, n)
					}
					b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "img/s")
					b.ReportMetric(s.liveFlops()*float64(n*b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
					cpu.Report(float64(n*b.N), "img/s")
				})
			}
		}
	}
}

// BenchmarkGate times the gate and its gradient over one image of the
// default Gated PixelCNN's stack (48 channels × 28 × 28): "ab" is the
// gate-halves gradient (both halves, one pass), "a+b" the two one-output
// passes it replaced.
func BenchmarkGate(b *testing.B) {
	const m = 48 * 28 * 28
	x, y, dy := make([]float32, 2*m), make([]float32, m), make([]float32, m)
	for i := range x {
		x[i] = float32(i%17)/4 - 2
	}
	for i := range dy {
		dy[i] = float32(i%5) - 2
	}
	a, bb := x[:m], x[m:]
	da, db := make([]float32, m), make([]float32, m)
	for _, c := range []struct {
		name string
		f    func()
	}{
		{"gate", func() { Gate(y, a, bb) }},
		{"grad/ab", func() { GateGrad(da, db, dy, a, bb) }},
		{"grad/a+b", func() { GateGrad(da, nil, dy, a, bb); GateGrad(nil, db, dy, a, bb) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(4 * m)
			for b.Loop() {
				c.f()
			}
		})
	}
}
