package kernels

import "fmt"

// Pointwise loops. Each has a Go version here (branch-free: a data-dependent
// branch on the sign mispredicts half the time and costs 4x) and, in the
// cgo build, a C version that gcc vectorizes (pointwise_c.go); reluCopy,
// addTo, biasRelu, reluGrad pick one (pointwise_c.go, pointwise_go.go).

// Relu sets dst = max(src, 0) elementwise; dst and src may be the same
// slice. NaN stays NaN, as in ONNX Relu.
func Relu(dst, src []float32) {
	if len(dst) != len(src) {
		panic(fmt.Sprintf("kernels.Relu: dst has %d elements, src %d", len(dst), len(src)))
	}
	reluCopy(dst, src)
}

// ReluGrad sets dx = dy where x > 0 and 0 elsewhere: the gradient of
// y = relu(x). x may equally be y (relu(x) > 0 exactly where x > 0), and dx
// may alias dy.
func ReluGrad(dx, dy, x []float32) {
	if len(dx) != len(dy) || len(dy) != len(x) {
		panic(fmt.Sprintf("kernels.ReluGrad: dx, dy, x have %d, %d, %d elements", len(dx), len(dy), len(x)))
	}
	reluGrad(dx, dy, x)
}

// scaleRows sets c[i,j] = beta·c[i,j] for an (m,n) matrix with row stride
// ldc; beta == 0 writes zeros without reading c.
func scaleRows(c []float32, m, n, ldc int, beta float32) {
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		switch beta {
		case 0:
			clear(row)
		case 1:
		default:
			for j := range row {
				row[j] *= beta
			}
		}
	}
}

// reluGo sets dst[i] = max(src[i], 0).
func reluGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] = max(v, 0)
	}
}

// addGo sets dst[i] += src[i].
func addGo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// biasReluGo finishes an (m,n) block of output rows with stride ld: adds
// b[i] to row i (b may be nil) and, with relu, clamps at 0.
func biasReluGo(y []float32, m, n, ld int, b []float32, relu bool) {
	for i := 0; i < m; i++ {
		row := y[i*ld : i*ld+n]
		bi := float32(0)
		if b != nil {
			bi = b[i]
		}
		switch {
		case relu:
			for j, v := range row {
				row[j] = max(v+bi, 0)
			}
		case b != nil:
			for j := range row {
				row[j] += bi
			}
		}
	}
}

// reluGradGo is ReluGrad without checks.
func reluGradGo(dx, dy, x []float32) {
	dx, dy = dx[:len(x)], dy[:len(x)]
	for i, v := range x {
		g := dy[i]
		dx[i] = 0
		if v > 0 {
			dx[i] = g
		}
	}
}
