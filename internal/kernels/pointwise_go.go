//go:build !cgo || purego

package kernels

func reluCopy(dst, src []float32)                                { reluGo(dst, src) }
func addTo(dst, src []float32)                                   { addGo(dst, src) }
func reluGrad(dx, dy, x []float32)                               { reluGradGo(dx, dy, x) }
func biasRelu(y []float32, m, n, ld int, b []float32, relu bool) { biasReluGo(y, m, n, ld, b, relu) }
