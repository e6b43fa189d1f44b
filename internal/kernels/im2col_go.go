//go:build !cgo || purego

package kernels

func (pl *ConvPlan) im2col(col, x []float32, r0, r1 int, relu bool) {
	pl.im2colGo(col, x, r0, r1, relu)
}
func (pl *ConvPlan) col2im(dx, dcol []float32, r0, r1 int) { pl.col2imGo(dx, dcol, r0, r1) }
