package kernels

import "fmt"

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

// reluCopy sets dst[i] = max(src[i], 0); NaN stays NaN, as in ONNX Relu.
func reluCopy(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		if v < 0 {
			v = 0
		}
		dst[i] = v
	}
}

// addTo sets dst[i] += src[i].
func addTo(dst, src []float32) {
	dst = dst[:len(src)]
	for i, v := range src {
		dst[i] += v
	}
}

// biasRelu finishes an (m,n) block of output rows with stride ld: adds b[i]
// to row i (b may be nil) and, with relu, clamps at 0.
func biasRelu(y []float32, m, n, ld int, b []float32, relu bool) {
	for i := 0; i < m; i++ {
		row := y[i*ld : i*ld+n]
		switch {
		case b != nil && relu:
			bi := b[i]
			for j, v := range row {
				v += bi
				if v < 0 {
					v = 0
				}
				row[j] = v
			}
		case b != nil:
			bi := b[i]
			for j := range row {
				row[j] += bi
			}
		case relu:
			for j, v := range row {
				if v < 0 {
					row[j] = 0
				}
			}
		}
	}
}

// Relu sets dst = max(src, 0) elementwise; dst and src may be the same slice.
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
	for i, v := range x {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}
