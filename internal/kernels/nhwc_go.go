//go:build !cgo || purego || !amd64

package kernels

const hasDirectAsm = false

// directBand and packedGemm are never called: useAsm is false.
func (pl *ConvPlan) directBand(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) {
	panic("kernels: no AVX-512 kernel in this build")
}

func packedGemm(m, n, k int, ap, b []float32, ldb int, c []float32, ldc int, bias []float32, acc, relu, reluB bool) {
	panic("kernels: no AVX-512 kernel in this build")
}
