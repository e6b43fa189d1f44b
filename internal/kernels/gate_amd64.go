//go:build !purego

package kernels

//go:generate go run -C asm . -set gate -out ../gate_amd64.s -stubs ../gate_stub_amd64.go -pkg kernels

// Calls of the AVX2 gate loops (gate_amd64.s): lane by lane the float32
// operations of Tanh, Sigmoid and expNeg (gate.go), so they agree bit for
// bit with the Go functions. Callers check simd() and lengths.

func gateSIMD(y, a, b []float32) {
	_, _ = a[len(y)-1], b[len(y)-1]
	gate3(&y[0], &a[0], &b[0], len(y))
}

func gateGradASIMD(da, dy, a, b []float32) {
	_, _, _ = dy[len(da)-1], a[len(da)-1], b[len(da)-1]
	gateGradA(&da[0], &dy[0], &a[0], &b[0], len(da))
}

func gateGradBSIMD(db, dy, a, b []float32) {
	_, _, _ = dy[len(db)-1], a[len(db)-1], b[len(db)-1]
	gateGradB(&db[0], &dy[0], &a[0], &b[0], len(db))
}

func gateGradABSIMD(da, db, dy, a, b []float32) {
	_, _, _, _ = db[len(da)-1], dy[len(da)-1], a[len(da)-1], b[len(da)-1]
	gateGradAB(&da[0], &db[0], &dy[0], &a[0], &b[0], len(da))
}
