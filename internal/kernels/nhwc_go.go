//go:build !cgo || purego || !amd64

package kernels

const hasDirectAsm = false

// directBand reports that no assembly kernel is linked in.
func (pl *ConvPlan) directBand(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) bool { return false }
