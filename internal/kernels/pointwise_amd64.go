//go:build !purego

package kernels

//go:generate go run -C asm . -set pointwise -out ../pointwise_amd64.s -stubs ../pointwise_stub_amd64.go -pkg kernels

// Calls of the AVX2 loops (pointwise_amd64.s); callers check simd() and
// lengths: every slice holds what the sizes say. Strides are in floats.

// checkRows panics unless s holds rows rows of n floats, ld apart.
func checkRows(s []float32, ld, rows, n int) {
	if rows > 0 && n > 0 {
		_ = s[(rows-1)*ld+n-1]
	}
}

func reluRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int) {
	checkRows(dst, ldd, rows, n)
	checkRows(src, lds, rows, n)
	reluRows(&dst[0], 4*ldd, &src[0], 4*lds, rows, n)
}

func copyRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int) {
	checkRows(dst, ldd, rows, n)
	checkRows(src, lds, rows, n)
	copyRows(&dst[0], 4*ldd, &src[0], 4*lds, rows, n)
}

func addRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int) {
	checkRows(dst, ldd, rows, n)
	checkRows(src, lds, rows, n)
	addRows(&dst[0], 4*ldd, &src[0], 4*lds, rows, n)
}

// The flat loops take slices of one length (callers reslice).

func add3SIMD(y, a, b []float32) {
	_, _ = a[len(y)-1], b[len(y)-1]
	add3(&y[0], &a[0], &b[0], len(y))
}

func addRelu3SIMD(y, r, a, b []float32) {
	_, _, _ = r[len(y)-1], a[len(y)-1], b[len(y)-1]
	addRelu3(&y[0], &r[0], &a[0], &b[0], len(y))
}

func reluGradSIMD(dx, dy, x []float32) {
	_, _ = dx[len(x)-1], dy[len(x)-1]
	reluGrad3(&dx[0], &dy[0], &x[0], len(x))
}

func reluGradAddSIMD(dx, dy, x, r []float32) {
	_, _, _ = dx[len(x)-1], dy[len(x)-1], r[len(x)-1]
	reluGradAdd4(&dx[0], &dy[0], &x[0], &r[0], len(x))
}

func biasReluSIMD(y []float32, ld, m, n int, b []float32, relu bool) {
	checkRows(y, ld, m, n)
	var bp *float32
	if b != nil {
		_ = b[m-1]
		bp = &b[0]
	}
	biasReluRows(&y[0], 4*ld, m, n, bp, epiFlags(b != nil, false, relu))
}
