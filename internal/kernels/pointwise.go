package kernels

import "fmt"

// Pointwise loops. Each has a Go version here (branch-free: a data-dependent
// branch on the sign mispredicts half the time and costs 4x) and, at the
// AVX2 and AVX-512 levels, an AVX2 loop in assembly (pointwise_amd64.go;
// wider vectors gain nothing on loops bound by memory); reluCopy, addTo,
// biasRelu, reluGrad, Add and AddRelu pick one. Both give the same values
// (max(v, 0) keeps NaN; the sign of a zero result may differ).

// simdMin is the length below which the Go loop is as fast as a call.
const simdMin = 16

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

// Add sets y = a + b elementwise (a and b at least len(y) long); y may be a
// or b.
func Add(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	if simd() && len(y) >= simdMin {
		add3SIMD(y, a, b)
		return
	}
	add3Go(y, a, b)
}

// AddRelu sets y = a + b and r = max(y, 0) elementwise in one pass; y and r
// may each be a or b (not the same one).
func AddRelu(y, r, a, b []float32) {
	r, a, b = r[:len(y)], a[:len(y)], b[:len(y)]
	if simd() && len(y) >= simdMin {
		addRelu3SIMD(y, r, a, b)
		return
	}
	addRelu3Go(y, r, a, b)
}

// ScaleRows sets c[i,j] = beta·c[i,j] for an (m,n) matrix with row stride
// ldc: what a GEMM does to c when k = 0. beta == 0 writes zeros without
// reading c (c may hold NaNs from a recycled buffer); beta == 1 leaves c.
func ScaleRows[T float32 | float64](c []T, m, n, ldc int, beta T) {
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

func reluCopy(dst, src []float32) {
	if simd() && len(src) >= simdMin {
		reluRowsSIMD(dst[:len(src)], 0, src, 0, 1, len(src))
		return
	}
	reluGo(dst, src)
}

func addTo(dst, src []float32) {
	if simd() && len(src) >= simdMin {
		addRowsSIMD(dst[:len(src)], 0, src, 0, 1, len(src))
		return
	}
	addGo(dst, src)
}

func reluGrad(dx, dy, x []float32) {
	if simd() && len(x) >= simdMin {
		reluGradSIMD(dx[:len(x)], dy[:len(x)], x)
		return
	}
	reluGradGo(dx, dy, x)
}

// reluGradAdd sets dx = (x > 0 ? dy : 0) + r: a conv's input gradient
// through the ReLU it reads, plus the residual's; dx may alias dy or r.
func reluGradAdd(dx, dy, x, r []float32) {
	if simd() && len(x) >= simdMin {
		reluGradAddSIMD(dx[:len(x)], dy[:len(x)], x, r[:len(x)])
		return
	}
	reluGradAddGo(dx, dy, x, r)
}

// biasRelu finishes an (m,n) block of output rows with stride ld: adds
// b[i] to row i (b may be nil) and, with relu, clamps at 0.
func biasRelu(y []float32, m, n, ld int, b []float32, relu bool) {
	if m == 0 || n == 0 || (b == nil && !relu) {
		return
	}
	if simd() && m*n >= simdMin {
		biasReluSIMD(y, ld, m, n, b, relu)
		return
	}
	biasReluGo(y, m, n, ld, b, relu)
}

// add3Go sets y = a + b elementwise; y may be a or b. Unrolled by 8, twice
// as fast as the plain loop.
func add3Go(y, a, b []float32) {
	a, b = a[:len(y)], b[:len(y)]
	j := 0
	for ; j+8 <= len(y); j += 8 {
		yy, aa, bb := y[j:j+8:j+8], a[j:j+8:j+8], b[j:j+8:j+8]
		yy[0], yy[1], yy[2], yy[3] = aa[0]+bb[0], aa[1]+bb[1], aa[2]+bb[2], aa[3]+bb[3]
		yy[4], yy[5], yy[6], yy[7] = aa[4]+bb[4], aa[5]+bb[5], aa[6]+bb[6], aa[7]+bb[7]
	}
	for ; j < len(y); j++ {
		y[j] = a[j] + b[j]
	}
}

// addRelu3Go sets y = a + b and r = max(y, 0); y and r may each be a or b.
func addRelu3Go(y, r, a, b []float32) {
	r, a, b = r[:len(y)], a[:len(y)], b[:len(y)]
	for j := range y {
		v := a[j] + b[j]
		y[j] = v
		r[j] = max(v, 0)
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
// reluGradAddGo is reluGradAdd's Go twin: the same operations, in float32.
func reluGradAddGo(dx, dy, x, r []float32) {
	dx, dy, r = dx[:len(x)], dy[:len(x)], r[:len(x)]
	for i, v := range x {
		g := float32(0)
		if v > 0 {
			g = dy[i]
		}
		dx[i] = g + r[i]
	}
}

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
