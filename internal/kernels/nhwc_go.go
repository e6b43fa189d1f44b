//go:build !cgo || purego || !amd64

package kernels

const hasDirectAsm = false

// directBand reports that no assembly kernel is linked in.
func (pl *ConvPlan) directBand(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) bool { return false }

// packedGemm reports that no assembly kernel is linked in.
func packedGemm(m, n, k int, ap, b []float32, ldb int, c []float32, ldc int, bias []float32, acc, relu, reluB bool) bool {
	return false
}
