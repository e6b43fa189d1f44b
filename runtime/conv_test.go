package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// naiveConv is the reference: a direct loop over every output element and
// every tap, accumulating in float64. pads are begins then ends.
func naiveConv(x, w, b *graph.Tensor, strides, dil, pads []int, group int) *graph.Tensor {
	s := len(x.Shape) - 2
	n, c, o := x.Shape[0], x.Shape[1], w.Shape[0]
	cg, og := c/group, o/group
	in, k := x.Shape[2:], w.Shape[2:]
	out := make([]int, s)
	for i := range out {
		out[i] = (in[i]+pads[i]+pads[i+s]-((k[i]-1)*dil[i]+1))/strides[i] + 1
	}
	y := graph.NewFloat32(append([]int{n, o}, out...), nil)
	outP, inP, taps := graph.NumElements(out), graph.NumElements(in), graph.NumElements(k)
	pos := make([]int, s)
	tap := make([]int, s)
	unravel := func(i int, shape, idx []int) {
		for d := len(shape) - 1; d >= 0; d-- {
			idx[d] = i % shape[d]
			i /= shape[d]
		}
	}
	for ni := 0; ni < n; ni++ {
		for oi := 0; oi < o; oi++ {
			gi := oi / og
			for p := 0; p < outP; p++ {
				unravel(p, out, pos)
				sum := 0.0
				if b != nil {
					sum = float64(b.F32[oi])
				}
				for ci := 0; ci < cg; ci++ {
					for t := 0; t < taps; t++ {
						unravel(t, k, tap)
						off, inside := 0, true
						for d := 0; d < s; d++ {
							ii := pos[d]*strides[d] - pads[d] + tap[d]*dil[d]
							if ii < 0 || ii >= in[d] {
								inside = false
								break
							}
							off = off*in[d] + ii
						}
						if !inside {
							continue
						}
						xv := x.F32[(ni*c+gi*cg+ci)*inP+off]
						wv := w.F32[(oi*cg+ci)*taps+t]
						sum += float64(xv) * float64(wv)
					}
				}
				y.F32[(ni*o+oi)*outP+p] = float32(sum)
			}
		}
	}
	return y
}

func i64s(v []int) []int64 {
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}

func TestConvAgainstNaive(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		x, w               []int // input (N,C,...) and weight (O,C/group,...) shapes
		strides, dil, pads []int
		group              int
		bias               bool
	}{
		{"2-D groups+dilation+asymmetric pads", []int{2, 6, 9, 8}, []int{4, 3, 3, 2}, []int{1, 2}, []int{2, 1}, []int{1, 0, 3, 2}, 2, true},
		{"2-D depthwise strided", []int{3, 4, 7, 7}, []int{8, 1, 3, 3}, []int{2, 2}, []int{1, 1}, []int{1, 1, 1, 1}, 4, true},
		{"2-D no bias, kernel wider than tall", []int{1, 3, 5, 11}, []int{5, 3, 1, 4}, []int{1, 3}, []int{1, 2}, []int{0, 2, 0, 1}, 1, false},
		{"2-D pointwise", []int{4, 5, 6, 7}, []int{3, 5, 1, 1}, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, 1, true},
		{"2-D pointwise strided", []int{2, 5, 6, 7}, []int{3, 5, 1, 1}, []int{2, 3}, []int{1, 1}, []int{0, 0, 0, 0}, 1, true},
		{"2-D pads larger than kernel", []int{1, 2, 3, 3}, []int{2, 2, 2, 2}, []int{1, 1}, []int{1, 1}, []int{3, 0, 1, 4}, 1, true},
		{"1-D groups+dilation", []int{2, 4, 13}, []int{6, 2, 3}, []int{2}, []int{3}, []int{2, 1}, 2, true},
		{"3-D groups+dilation+asymmetric pads", []int{2, 4, 5, 6, 4}, []int{4, 2, 2, 3, 2}, []int{1, 2, 1}, []int{2, 1, 2}, []int{1, 0, 2, 0, 1, 1}, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(len(tc.name))))
			x, w := randF32(r, tc.x...), randF32(r, tc.w...)
			var b *graph.Tensor
			if tc.bias {
				b = randF32(r, tc.w[0])
			}
			want := naiveConv(x, w, b, tc.strides, tc.dil, tc.pads, tc.group)
			attrs := []graph.Attr{attrInts("strides", i64s(tc.strides)...), attrInts("dilations", i64s(tc.dil)...),
				attrInts("pads", i64s(tc.pads)...), attrInt("group", int64(tc.group))}
			// W as a run-time input and as a constant (packed at compile time).
			for _, wa := range []arg{in(w), cst(w)} {
				args := []arg{in(x), wa}
				if b != nil {
					args = append(args, cst(b))
				}
				expectClose(t, mustRunOp(t, "Conv", 11, attrs, args...), want)
			}
		})
	}
}

// TestConvPrunedTaps: rows of a constant W that are zero for every output
// channel of a group are skipped; the result must equal the dense one.
func TestConvPrunedTaps(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(2, 3))
	x, w := randF32(r, 2, 4, 6, 6), randF32(r, 6, 2, 3, 3)
	// Zero the last 4 taps of every kernel (a mask-B-like pattern) and, in
	// group 1, all of channel 0: different live rows per group.
	for o := 0; o < 6; o++ {
		for c := 0; c < 2; c++ {
			for tp := 5; tp < 9; tp++ {
				w.F32[(o*2+c)*9+tp] = 0
			}
			if o >= 3 && c == 0 {
				for tp := 0; tp < 9; tp++ {
					w.F32[(o*2+c)*9+tp] = 0
				}
			}
		}
	}
	attrs := []graph.Attr{attrInts("pads", 1, 1, 1, 1), attrInt("group", 2)}
	want := naiveConv(x, w, nil, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, 2)
	expectClose(t, mustRunOp(t, "Conv", 13, attrs, in(x), cst(w)), want)
	// All-zero weight: every row pruned, output is the bias.
	z := graph.NewFloat32([]int{2, 4, 3, 3}, nil)
	b := f32([]int{2}, 0.5, -1)
	got := mustRunOp(t, "Conv", 13, nil, in(x), cst(z), cst(b))
	want = naiveConv(x, z, b, []int{1, 1}, []int{1, 1}, []int{0, 0, 0, 0}, 1)
	expectClose(t, got, want)
}

// TestConvAutoPad: SAME_UPPER puts the odd extra pad at the end, SAME_LOWER
// at the beginning; VALID pads nothing. Output size is ceil(in/stride).
func TestConvAutoPad(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 5))
	x, w := randF32(r, 1, 2, 7, 6), randF32(r, 3, 2, 2, 4)
	tests := []struct {
		autoPad string
		strides []int
		pads    []int // what the auto_pad must amount to
	}{
		// kernel 2x4, stride 1: total pad 1 (H) and 3 (W)
		{"SAME_UPPER", []int{1, 1}, []int{0, 1, 1, 2}},
		{"SAME_LOWER", []int{1, 1}, []int{1, 2, 0, 1}},
		// stride 2: out 4x3; total pad H = 3*2+2-7 = 1, W = 2*2+4-6 = 2
		{"SAME_UPPER", []int{2, 2}, []int{0, 1, 1, 1}},
		{"SAME_LOWER", []int{2, 2}, []int{1, 1, 0, 1}},
		{"VALID", []int{2, 1}, []int{0, 0, 0, 0}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/stride=%v", tc.autoPad, tc.strides), func(t *testing.T) {
			t.Parallel()
			want := naiveConv(x, w, nil, tc.strides, []int{1, 1}, tc.pads, 1)
			attrs := []graph.Attr{attrStr("auto_pad", tc.autoPad), attrInts("strides", i64s(tc.strides)...)}
			got := mustRunOp(t, "Conv", 11, attrs, in(x), in(w))
			expectClose(t, got, want)
			if tc.autoPad != "VALID" {
				for i, s := range tc.strides {
					if want := (x.Shape[2+i] + s - 1) / s; got.Shape[2+i] != want {
						t.Errorf("dim %d: %d, want ceil(%d/%d) = %d", i, got.Shape[2+i], x.Shape[2+i], s, want)
					}
				}
			}
		})
	}
}

func TestConvFloat64(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(6, 7))
	x, w := randF32(r, 2, 2, 5, 5), randF32(r, 3, 2, 3, 3)
	want := naiveConv(x, w, nil, []int{1, 1}, []int{1, 1}, []int{1, 1, 1, 1}, 1)
	to64 := func(t *graph.Tensor) *graph.Tensor {
		out := f64(t.Shape, make([]float64, len(t.F32))...)
		for i, v := range t.F32 {
			out.F64[i] = float64(v)
		}
		return out
	}
	got := mustRunOp(t, "Conv", 13, []graph.Attr{attrInts("pads", 1, 1, 1, 1)}, in(to64(x)), cst(to64(w)))
	expectClose(t, got, to64(want))
}

func TestConvErrors(t *testing.T) {
	t.Parallel()
	x, w := f32([]int{1, 2, 3, 3}, make([]float32, 18)...), f32([]int{1, 2, 2, 2}, make([]float32, 8)...)
	tests := []struct {
		name  string
		attrs []graph.Attr
		x, w  *graph.Tensor
	}{
		{"kernel_shape disagrees with W", []graph.Attr{attrInts("kernel_shape", 3, 3)}, x, w},
		{"channels do not match group", []graph.Attr{attrInt("group", 2)}, x, w},
		{"kernel larger than input", nil, f32([]int{1, 2, 1, 1}, 0, 0), w},
		{"pads of the wrong length", []graph.Attr{attrInts("pads", 1, 1)}, x, w},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := runOp("Conv", 13, tc.attrs, in(tc.x), in(tc.w)); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
