//go:build !purego

package kernels

import "fmt"

//go:generate go run -C asm . -set direct -out ../direct_amd64.s -stubs ../direct_stub_amd64.go -pkg kernels

// directKernel512 is the signature of the generated direct kernels (see the
// generator's direct.go): tiles of 6 output pixels, the whole reduction
// over (tap, input channel) in registers, then + bias, + old y, ReLU.
type directKernel512 func(x, zeros *float32, offs *int32, ldo, taps, c int, w *float32, ldw int, y *float32, ldy, n int, bias *float32, mask uint16, flags int)

// direct512 holds the AVX-512 kernels by vector count (16 channels each)
// and ReLU-in.
var direct512 = [5][2]directKernel512{
	1: {directAVX512x1, directAVX512x1Relu},
	2: {directAVX512x2, directAVX512x2Relu},
	3: {directAVX512x3, directAVX512x3Relu},
	4: {directAVX512x4, directAVX512x4Relu},
}

// laneMasks[16-r : 32-r] are the AVX2 lane masks of a block of r < 16
// channels (all ones for the first r lanes).
var laneMasks = [32]int32{-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1}

// directBandSIMD is the assembly kernel for output pixels [p0, p1) of one
// image (callers check simd() and that the plan has live taps); see
// directBandGo for the definition.
func (pl *ConvPlan) directBandSIMD(y, x, wd, b, zeros []float32, p0, p1 int, f Fuse) {
	if p0 >= p1 {
		return
	}
	pr := &pl.p
	// lengths, not _ = x[len-1]: that reads an element another band of
	// rows may be writing (the race detector sees a read)
	if len(x) < pr.In*pr.H*pr.W || len(y) < pl.OH*pl.OW*pr.Out {
		panic(fmt.Sprintf("kernels: direct kernel: x has %d elements, y %d; the plan needs %d and %d", len(x), len(y), pr.In*pr.H*pr.W, pl.OH*pl.OW*pr.Out))
	}
	pl.directRowsSIMD(y[p0*pr.Out:], pr.Out, x, zeros, pl.directOffsets()[p0:], pl.OH*pl.OW+directRows-1, p1-p0, wd, b, f)
}

// directRowsSIMD runs the assembly kernels on n rows of y (ldy floats
// apart), row r's input for live tap t at x[offs[t·ldo + r]:] (zeros where
// the offset is < 0; the table readable 5 entries past n per tap): the
// plan's taps, channels and weight (wd from PackDirect), any geometry.
// Callers check bounds. The weight is walked panel by panel (64 output
// channels, PackDirect's layout); AVX-512 covers a panel per tile, AVX2 a
// block of 16 of its channels.
func (pl *ConvPlan) directRowsSIMD(y []float32, ldy int, x, zeros []float32, offs []int32, ldo, n int, wd, b []float32, f Fuse) {
	pr := &pl.p
	o, k := pr.Out, pl.K
	_ = wd[pl.DirectPackedSize()-1]
	_ = zeros[pr.In-1]
	_ = y[(n-1)*ldy+o-1]
	flags := epiFlags(b != nil, f.Accumulate, f.ReluOut)
	relu := 0
	if f.ReluIn {
		relu = 1
	}
	avx512 := curLevel() == levelAVX512
	opad := (o + 15) &^ 15
	for o0 := 0; o0 < opad; o0 += directPanel {
		pw := min(directPanel, opad-o0)
		for s := 0; s < pw; s += 16 {
			nv := 1 // vectors of 16 channels per call
			if avx512 {
				nv = pw / 16
			}
			rem := o - o0 - s // channels left from this block on
			var bp *float32
			if b != nil {
				bp = &b[o0+s]
			}
			w, yp := &wd[o0*k+s], &y[o0+s]
			if avx512 {
				mask := uint16(0xffff)
				if last := rem - 16*(nv-1); last < 16 {
					mask = uint16(1)<<last - 1
				}
				direct512[nv][relu](&x[0], &zeros[0], &offs[0], 4*ldo, len(pl.taps), pr.In, w, 4*pw,
					yp, 4*ldy, n, bp, mask, flags)
				break
			}
			var mask *int32
			fl := flags
			if rem < 16 {
				mask, fl = &laneMasks[16-rem], fl|epiMask
			}
			kern := directAVX2
			if f.ReluIn {
				kern = directAVX2Relu
			}
			kern(&x[0], &zeros[0], &offs[0], 4*ldo, len(pl.taps), pr.In, w, 4*pw, yp, 4*ldy, n, bp, mask, fl)
		}
	}
}
