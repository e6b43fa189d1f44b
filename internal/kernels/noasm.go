//go:build !amd64 || purego

package kernels

// The pure-Go build (the purego tag, or an architecture other than amd64):
// no assembly, level generic. These are never called (simd() is false).

const asmBuilt = false

const noAsm = "kernels: no assembly in this build"

func (pl *ConvPlan) directBandSIMD(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) { panic(noAsm) }
func (pl *ConvPlan) directRowsSIMD(y []float32, ldy int, x, zeros []float32, offs []int32, ldo, n int, wd, b []float32, f Fuse) {
	panic(noAsm)
}

func gemmStrip(m, k, mr int, ap, b []float32, ldb int, c []float32, ldc, w int, bias []float32, eo epiOps, alpha float32, flags int, reluB bool) {
	panic(noAsm)
}

func transposeSIMD(rows int, relu bool, dst []float32, ldd int, src []float32, lds, k int) {
	panic(noAsm)
}

func gemmAccSIMD(d []float32, ldd int, s []float32, lds int, w []float32, ldw, k int) { panic(noAsm) }

func reluRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int) { panic(noAsm) }
func copyRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int) { panic(noAsm) }
func addRowsSIMD(dst []float32, ldd int, src []float32, lds, rows, n int)  { panic(noAsm) }
func add3SIMD(y, a, b []float32)                                           { panic(noAsm) }
func addRelu3SIMD(y, r, a, b []float32)                                    { panic(noAsm) }
func reluGradSIMD(dx, dy, x []float32)                                     { panic(noAsm) }
func reluGradAddSIMD(dx, dy, x, r []float32)                               { panic(noAsm) }
func biasReluSIMD(y []float32, ld, m, n int, b []float32, relu bool)       { panic(noAsm) }

func gateSIMD(y, a, b []float32)                { panic(noAsm) }
func gateGradASIMD(da, dy, a, b []float32)      { panic(noAsm) }
func gateGradBSIMD(db, dy, a, b []float32)      { panic(noAsm) }
func gateGradABSIMD(da, db, dy, a, b []float32) { panic(noAsm) }
