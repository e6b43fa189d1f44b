package runtime

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// refSoftmax normalizes x viewed as (outer, n, inner) along n in float64.
func refSoftmax(x *graph.Tensor, outer, n, inner int, logOut bool) *graph.Tensor {
	y := graph.NewFloat32(x.Shape, nil)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			sum := 0.0
			for k := 0; k < n; k++ {
				sum += math.Exp(float64(x.F32[(o*n+k)*inner+i]))
			}
			for k := 0; k < n; k++ {
				v := float64(x.F32[(o*n+k)*inner+i])
				if logOut {
					y.F32[(o*n+k)*inner+i] = float32(v - math.Log(sum))
				} else {
					y.F32[(o*n+k)*inner+i] = float32(math.Exp(v) / sum)
				}
			}
		}
	}
	return y
}

// TestSoftmaxOpsetSemantics: on [N,Q,H,W] with axis=1, opset 11 normalizes
// over Q·H·W (flatten at axis) and opset 13 over Q only.
func TestSoftmaxOpsetSemantics(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(8, 9))
	x := randF32(r, 2, 3, 4, 5)
	for _, op := range []string{"Softmax", "LogSoftmax"} {
		logOut := op == "LogSoftmax"
		axis1 := []graph.Attr{attrInt("axis", 1)}
		expectClose(t, mustRunOp(t, op, 11, axis1, in(x)), refSoftmax(x, 2, 60, 1, logOut))
		expectClose(t, mustRunOp(t, op, 13, axis1, in(x)), refSoftmax(x, 2, 3, 20, logOut))
		// Defaults: axis 1 before 13 (flattened), -1 from 13.
		expectClose(t, mustRunOp(t, op, 11, nil, in(x)), refSoftmax(x, 2, 60, 1, logOut))
		expectClose(t, mustRunOp(t, op, 13, nil, in(x)), refSoftmax(x, 24, 5, 1, logOut))
		// Negative axis: opset 11 axis -2 flattens the last two dims.
		expectClose(t, mustRunOp(t, op, 11, []graph.Attr{attrInt("axis", -2)}, in(x)), refSoftmax(x, 6, 20, 1, logOut))
		expectClose(t, mustRunOp(t, op, 13, []graph.Attr{attrInt("axis", -3)}, in(x)), refSoftmax(x, 2, 3, 20, logOut))
	}
	// A channel softmax at opset 13 sums to 1 over Q at every pixel.
	y := mustRunOp(t, "Softmax", 13, []graph.Attr{attrInt("axis", 1)}, in(x))
	for n := 0; n < 2; n++ {
		for p := 0; p < 20; p++ {
			s := 0.0
			for q := 0; q < 3; q++ {
				s += float64(y.F32[(n*3+q)*20+p])
			}
			if !(math.Abs(s-1) <= 1e-6) {
				t.Fatalf("n=%d p=%d: sum over Q = %v", n, p, s)
			}
		}
	}
}

func TestSoftmaxLargeValues(t *testing.T) {
	t.Parallel()
	x := f32([]int{1, 3}, 10000, 10001, 10002)
	want := refSoftmax(f32([]int{1, 3}, 0, 1, 2), 1, 3, 1, false)
	expectClose(t, mustRunOp(t, "Softmax", 13, nil, in(x)), want)
}
