package runtime

import (
	"fmt"
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// compileSoftmax compiles Softmax and LogSoftmax. Before opset 13 the input
// is flattened to 2-D at axis (default 1) and each row of prod(shape[axis:])
// values is normalized; from opset 13 the normalization runs along the single
// dim axis (default -1).
func compileSoftmax(logOut bool) func(c *nodeCtx) (kernel, error) {
	return func(c *nodeCtx) (kernel, error) {
		flatten := c.opset < 13
		def := int64(-1)
		if flatten {
			def = 1
		}
		axisAttr := c.int("axis", def)
		return func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error) {
			x := ins[0]
			if err := checkData(x, "input"); err != nil {
				return nil, err
			}
			r := len(x.Shape)
			axis, err := normAxis(axisAttr, r, false)
			if err != nil {
				if !(r == 0 && (axisAttr == 0 || axisAttr == -1)) {
					return nil, err
				}
				axis = 0 // a scalar normalizes over itself
			}
			outer := graph.NumElements(x.Shape[:min(axis, r)])
			var n, inner int
			if flatten {
				n, inner = graph.NumElements(x.Shape[min(axis, r):]), 1
			} else {
				if r > 0 {
					n, inner = x.Shape[axis], graph.NumElements(x.Shape[axis+1:])
				} else {
					n, inner = 1, 1
				}
			}
			out := &graph.Tensor{DType: x.DType, Shape: append([]int{}, x.Shape...)}
			switch x.DType {
			case graph.Float32:
				out.F32 = make([]float32, len(x.F32))
				softmax(x.F32, out.F32, outer, n, inner, logOut)
			case graph.Float64:
				out.F64 = make([]float64, len(x.F64))
				softmax(x.F64, out.F64, outer, n, inner, logOut)
			default:
				return nil, fmt.Errorf("dtype %v is not supported", x.DType)
			}
			return out, nil
		}, nil
	}
}

// softmax normalizes x viewed as (outer, n, inner) along n, in float64.
func softmax[T float32 | float64](x, y []T, outer, n, inner int, logOut bool) {
	if n == 0 {
		return
	}
	e := make([]float64, n)
	for o := 0; o < outer; o++ {
		for i := 0; i < inner; i++ {
			base := o*n*inner + i
			m := math.Inf(-1)
			for k := 0; k < n; k++ {
				m = math.Max(m, float64(x[base+k*inner]))
			}
			sum := 0.0
			for k := 0; k < n; k++ {
				e[k] = math.Exp(float64(x[base+k*inner]) - m)
				sum += e[k]
			}
			if logOut {
				ls := math.Log(sum)
				for k := 0; k < n; k++ {
					y[base+k*inner] = T(float64(x[base+k*inner]) - m - ls)
				}
			} else {
				for k := 0; k < n; k++ {
					y[base+k*inner] = T(e[k] / sum)
				}
			}
		}
	}
}
