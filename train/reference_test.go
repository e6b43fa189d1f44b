package train

import (
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// refForward is a straightforward float64 interpreter of the ops
// graph.PixelCNN emits, the oracle for gorgonia's forward. x is (n,C,H,W).
func refForward(t testing.TB, g *graph.Graph, x []float64, n int) []float64 {
	t.Helper()
	type act struct {
		d       []float64
		c, h, w int
	}
	in := g.Inputs[0]
	vals := map[*graph.Value]act{in: {x, in.Shape[1], in.Shape[2], in.Shape[3]}}
	for _, nd := range g.Nodes {
		a := vals[nd.Inputs[0]]
		switch nd.Op {
		case "Relu":
			d := make([]float64, len(a.d))
			for i, v := range a.d {
				d[i] = math.Max(v, 0)
			}
			vals[nd.Outputs[0]] = act{d, a.c, a.h, a.w}
		case "Add":
			b := vals[nd.Inputs[1]]
			d := make([]float64, len(a.d))
			for i := range d {
				d[i] = a.d[i] + b.d[i]
			}
			vals[nd.Outputs[0]] = act{d, a.c, a.h, a.w}
		case "Conv":
			W := nd.Inputs[1].Const
			o, kh, kw := W.Shape[0], W.Shape[2], W.Shape[3]
			pads, st, dl := nd.IntsAttr("pads"), nd.IntsAttr("strides"), nd.IntsAttr("dilations")
			oh := (a.h+int(pads[0]+pads[2])-int(dl[0])*(kh-1)-1)/int(st[0]) + 1
			ow := (a.w+int(pads[1]+pads[3])-int(dl[1])*(kw-1)-1)/int(st[1]) + 1
			d := make([]float64, n*o*oh*ow)
			for b := 0; b < n; b++ {
				for oc := 0; oc < o; oc++ {
					for y := 0; y < oh; y++ {
						for xx := 0; xx < ow; xx++ {
							var s float64
							if len(nd.Inputs) > 2 {
								s = float64(nd.Inputs[2].Const.F32[oc])
							}
							for ic := 0; ic < a.c; ic++ {
								for r := 0; r < kh; r++ {
									for c := 0; c < kw; c++ {
										iy := y*int(st[0]) - int(pads[0]) + r*int(dl[0])
										ix := xx*int(st[1]) - int(pads[1]) + c*int(dl[1])
										if iy < 0 || iy >= a.h || ix < 0 || ix >= a.w {
											continue
										}
										s += float64(W.F32[((oc*a.c+ic)*kh+r)*kw+c]) * a.d[((b*a.c+ic)*a.h+iy)*a.w+ix]
									}
								}
							}
							d[((b*o+oc)*oh+y)*ow+xx] = s
						}
					}
				}
			}
			vals[nd.Outputs[0]] = act{d, o, oh, ow}
		default:
			t.Fatalf("refForward: op %s", nd.Op)
		}
	}
	return vals[g.Outputs[0]].d
}

// refNLL is the mean per-pixel cross-entropy (nats) of logits (n,q,H,W).
func refNLL(logits []float64, levels []uint8, n, q, hw int) float64 {
	var tot float64
	for b := 0; b < n; b++ {
		for p := 0; p < hw; p++ {
			m := math.Inf(-1)
			for l := 0; l < q; l++ {
				m = math.Max(m, logits[(b*q+l)*hw+p])
			}
			var s float64
			for l := 0; l < q; l++ {
				s += math.Exp(logits[(b*q+l)*hw+p] - m)
			}
			tot += m + math.Log(s) - logits[(b*q+int(levels[b*hw+p]))*hw+p]
		}
	}
	return tot / float64(n*hw)
}

// TestForwardMatchesReference: gorgonia's float32 forward of the small
// PixelCNN equals the float64 reference, logits and loss.
func TestForwardMatchesReference(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.SmallConfig())
	const n, q = 2, 4
	hw := 28 * 28
	levels := randomLevels(3, n*hw, q)
	e, err := newEvaluator(g, n, 0, true)
	if err != nil {
		t.Fatal(err)
	}
	nats, err := e.nats(levels)
	if err != nil {
		t.Fatal(err)
	}
	got32 := e.logits.Data().([]float32)
	got := make([]float64, len(got32))
	for i, v := range got32 {
		got[i] = float64(v)
	}
	x := make([]float64, n*hw)
	for i, l := range levels {
		x[i] = float64(l) / (q - 1)
	}
	want := refForward(t, g, x, n)
	// float32 accumulation over ≤ 16·49 products of O(1) terms per layer,
	// through 8 layers: errors of a few 1e-6; 1e-4 is the oracle tolerance
	// the design sets for engines.
	testenv.AllClose(t, got, want, 1e-4, 1e-4, "logits")
	// The NLL is a mean of log-softmaxes of those logits: their error, averaged.
	testenv.AllClose(t, []float64{nats / float64(n*hw)}, []float64{refNLL(want, levels, n, q, hw)}, 1e-5, 1e-5, "nll")
}
