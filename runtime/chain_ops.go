package runtime

import "github.com/pixelgraph/pixelgraph/internal/kernels"

// unaryF32 runs a plan's Unary layer with the generic path's definitions
// (kernels.Relu, Sigmoid, Tanh): y = op(x); y may be x.
func unaryF32(op string, y, x []float32) {
	switch op {
	case "Relu":
		kernels.Relu(y, x)
	case "Sigmoid":
		for i, v := range x[:len(y)] {
			y[i] = kernels.Sigmoid(v)
		}
	case "Tanh":
		for i, v := range x[:len(y)] {
			y[i] = kernels.Tanh(v)
		}
	default: // Identity
		copy(y, x)
	}
}

// binaryF32 runs a plan's Binary layer on operands of y's length: y = a op
// b in float32, as the generic path; y may be a or b.
func binaryF32(op string, y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	switch op {
	case "Add":
		kernels.Add(y, a, b)
	case "Sub":
		for i := range y {
			y[i] = a[i] - b[i]
		}
	case "Mul":
		for i := range y {
			y[i] = a[i] * b[i]
		}
	default: // Div
		for i := range y {
			y[i] = a[i] / b[i]
		}
	}
}
