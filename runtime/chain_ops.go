package runtime

import (
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

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

// The layout of a chain value: per image, NCHW (C planes of hw) or, in the
// direct chain, NHWC (hw pixels of C channels).

// gateHalves runs a Gate layer reading x's halves: y = tanh(x[:c])·σ(x[c:])
// per image of n, x of c2 = 2c channels, hw pixels an image.
func (s *chainSpec) gateHalves(y, x []float32, c2, n, hw int) {
	c := c2 / 2
	for i := range n {
		xi, yi := x[i*c2*hw:(i+1)*c2*hw], y[i*c*hw:(i+1)*c*hw]
		if !s.c.direct {
			kernels.Gate(yi, xi[:c*hw], xi[c*hw:])
			continue
		}
		for p := range hw {
			kernels.Gate(yi[p*c:(p+1)*c], xi[p*c2:p*c2+c], xi[p*c2+c:(p+1)*c2])
		}
	}
}

// sliceChannels copies channels [r[0], r[1]) of x (cx channels) into y,
// per image of n, hw pixels an image.
func (s *chainSpec) sliceChannels(y, x []float32, cx int, r [2]int, n, hw int) {
	cy := r[1] - r[0]
	for i := range n {
		xi, yi := x[i*cx*hw:(i+1)*cx*hw], y[i*cy*hw:(i+1)*cy*hw]
		if !s.c.direct {
			copy(yi, xi[r[0]*hw:r[1]*hw])
			continue
		}
		for p := range hw {
			copy(yi[p*cy:(p+1)*cy], xi[p*cx+r[0]:p*cx+r[1]])
		}
	}
}

// embed runs an Embed layer: y = x + T[label] per image (labels: one per
// image, in range), the row broadcast over the hw positions of an image; y
// may be x.
func (s *chainSpec) embed(y, x []float32, e *layers.EmbedSpec, labels []int64, hw int) {
	c := e.C
	for i, lb := range labels {
		row, _ := e.Row(lb)
		xi, yi := x[i*c*hw:(i+1)*c*hw], y[i*c*hw:(i+1)*c*hw]
		if !s.c.direct {
			for ch, r := range row {
				xs, ys := xi[ch*hw:(ch+1)*hw], yi[ch*hw:(ch+1)*hw]
				for p, a := range xs {
					ys[p] = a + r
				}
			}
			continue
		}
		for p := range hw {
			xs, ys := xi[p*c:(p+1)*c], yi[p*c:(p+1)*c]
			for ch, r := range row {
				ys[ch] = xs[ch] + r
			}
		}
	}
}
