//go:build !amd64 || purego

package sample

// gemmAcc adds src·w to dst: dst is (n, co), src is (n, ci), w is (ci, co).
func gemmAcc(dst, src, w []float32, n, ci, co int) {
	gemmAccGo(dst, src, w, n, ci, co, 0)
}
