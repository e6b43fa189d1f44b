package kernels

import (
	"fmt"
	"math"
	"slices"
	"sync"
)

// ConvParams describes a 2-D convolution of NCHW float32 images with OIHW
// weights, group 1, as ONNX's Conv. The zero value of Stride and Dilation
// is 1 in each direction.
type ConvParams struct {
	In, Out  int    // input channels C and output channels O
	KH, KW   int    // kernel height and width
	H, W     int    // input height and width
	Stride   [2]int // (rows, columns); 0 means 1
	Dilation [2]int // (rows, columns); 0 means 1
	Pads     [4]int // top, left, bottom, right (ONNX's begin/end order)
	// Taps lists the live taps (ky·KW+kx), strictly increasing; nil means
	// all KH·KW. Dead taps are never read from the weight nor multiplied, and
	// their weight gradient is exactly 0. The engines take them
	// from the layer plan (internal/layers.Taps).
	Taps []int
}

// ConvPlan is the geometry of one convolution, fixed at creation: output
// size, live taps and the gather offsets of each. It holds no buffers or
// weights and is safe for concurrent use; per-call memory is in a Workspace.
type ConvPlan struct {
	p          ConvParams
	OH, OW     int      // output height and width
	K          int      // In·len(taps): columns of the packed weight, rows of im2col
	taps       []tapGeo // live taps, increasing
	pointwise  bool     // 1x1, stride 1, no pads: im2col is the image itself
	panelRows  int      // output rows per unit of work (cache-sized im2col panels)
	sh, sw     int
	dh, dw     int
	padT, padL int

	offsOnce sync.Once
	offs     []int32 // the direct kernels' input offsets (directOffsets)
}

// tapGeo locates one live tap: input pixel (oy·sh+iy0, ox·sw+ix0) feeds
// output pixel (oy, ox); ox in [lo, hi) reads inside the image.
type tapGeo struct {
	t        int // ky·KW + kx
	iy0, ix0 int
	lo, hi   int
}

// NewConvPlan checks p and precomputes its geometry.
func NewConvPlan(p ConvParams) (*ConvPlan, error) {
	for i := range p.Stride {
		if p.Stride[i] == 0 {
			p.Stride[i] = 1
		}
		if p.Dilation[i] == 0 {
			p.Dilation[i] = 1
		}
	}
	switch {
	case p.In <= 0 || p.Out <= 0 || p.KH <= 0 || p.KW <= 0 || p.H <= 0 || p.W <= 0:
		return nil, fmt.Errorf("kernels: conv sizes must be > 0, got in=%d out=%d kernel=%dx%d image=%dx%d",
			p.In, p.Out, p.KH, p.KW, p.H, p.W)
	case p.Stride[0] < 0 || p.Stride[1] < 0 || p.Dilation[0] < 0 || p.Dilation[1] < 0:
		return nil, fmt.Errorf("kernels: stride %v and dilation %v must be > 0", p.Stride, p.Dilation)
	case p.Pads[0] < 0 || p.Pads[1] < 0 || p.Pads[2] < 0 || p.Pads[3] < 0:
		return nil, fmt.Errorf("kernels: pads must be >= 0, got %v", p.Pads)
	}
	spanH := p.Dilation[0]*(p.KH-1) + 1
	spanW := p.Dilation[1]*(p.KW-1) + 1
	if p.H+p.Pads[0]+p.Pads[2] < spanH || p.W+p.Pads[1]+p.Pads[3] < spanW {
		return nil, fmt.Errorf("kernels: kernel spans %dx%d, more than the padded image %dx%d",
			spanH, spanW, p.H+p.Pads[0]+p.Pads[2], p.W+p.Pads[1]+p.Pads[3])
	}
	pl := &ConvPlan{
		OH: (p.H+p.Pads[0]+p.Pads[2]-spanH)/p.Stride[0] + 1,
		OW: (p.W+p.Pads[1]+p.Pads[3]-spanW)/p.Stride[1] + 1,
		sh: p.Stride[0], sw: p.Stride[1], dh: p.Dilation[0], dw: p.Dilation[1],
		padT: p.Pads[0], padL: p.Pads[1],
	}
	if p.Taps == nil {
		p.Taps = make([]int, p.KH*p.KW)
		for t := range p.Taps {
			p.Taps[t] = t
		}
	} else {
		p.Taps = slices.Clone(p.Taps) // keeps an empty list non-nil: no taps, not all
	}
	for i, t := range p.Taps {
		if t < 0 || t >= p.KH*p.KW || (i > 0 && t <= p.Taps[i-1]) {
			return nil, fmt.Errorf("kernels: taps %v must be increasing and within the %dx%d kernel", p.Taps, p.KH, p.KW)
		}
		pl.taps = append(pl.taps, pl.geometry(t, p.KW, p.W))
	}
	pl.p = p
	pl.K = p.In * len(p.Taps)
	if int64(p.In)*int64(p.H)*int64(p.W) > math.MaxInt32 {
		return nil, fmt.Errorf("kernels: an image of %d×%d×%d values is more than the kernels index (2³¹-1)", p.In, p.H, p.W)
	}
	pl.pointwise = p.KH == 1 && p.KW == 1 && len(p.Taps) == 1 && pl.sh == 1 && pl.sw == 1 &&
		p.Pads == [4]int{}
	pl.panelRows = panelRows(pl.K, pl.OH, pl.OW)
	return pl, nil
}

func (pl *ConvPlan) geometry(t, kw, w int) tapGeo {
	ky, kx := t/kw, t%kw
	g := tapGeo{t: t, iy0: ky*pl.dh - pl.padT, ix0: kx*pl.dw - pl.padL}
	g.lo, g.hi = pl.OW, pl.OW
	for ox := 0; ox < pl.OW; ox++ { // plan time: a loop is clearer than the closed form
		if ix := ox*pl.sw + g.ix0; ix >= 0 && ix < w {
			if g.lo == pl.OW {
				g.lo = ox
			}
			g.hi = ox + 1
		}
	}
	if g.lo == pl.OW {
		g.lo, g.hi = 0, 0
	}
	return g
}

// panelCacheFloats is the largest im2col panel (1 MiB, this machine's L2).
// Measured on the seed model: panels of whole images (256 Ki floats for the
// 3x3 B conv) beat L2-halving bands of 64 Ki by ~15%, as OpenBLAS then packs
// the weight once per image instead of once per band.
const panelCacheFloats = 256 << 10

func panelRows(k, oh, ow int) int {
	r := panelCacheFloats / max(1, k*ow)
	return min(max(r, 1), oh)
}

// Params returns the parameters the plan was made from, defaults filled in.
func (pl *ConvPlan) Params() ConvParams { return pl.p }

// Taps returns the live taps (ky·KW+kx).
func (pl *ConvPlan) Taps() []int { return slices.Clone(pl.p.Taps) }

// XSize, YSize and WSize are the element counts of one input image (C,H,W),
// one output image (O,OH,OW) and the OIHW weight (O,C,KH,KW).
func (pl *ConvPlan) XSize() int { return pl.p.In * pl.p.H * pl.p.W }
func (pl *ConvPlan) YSize() int { return pl.p.Out * pl.OH * pl.OW }
func (pl *ConvPlan) WSize() int { return pl.p.Out * pl.p.In * pl.p.KH * pl.p.KW }

// PackedSize is the element count of a packed weight, (O, K).
func (pl *ConvPlan) PackedSize() int { return pl.p.Out * pl.K }

// Pack copies the live taps of w (O,C,KH,KW) into dst (O, C·T), T live taps,
// in (c, tap) order: the layout Forward and Backward take. dst is reused when
// it has the capacity; the packed weight is returned.
func (pl *ConvPlan) Pack(dst, w []float32) []float32 {
	if len(w) != pl.WSize() {
		panic(fmt.Sprintf("kernels.Pack: weight has %d elements, (O,C,KH,KW)=(%d,%d,%d,%d) needs %d",
			len(w), pl.p.Out, pl.p.In, pl.p.KH, pl.p.KW, pl.WSize()))
	}
	dst = grow(dst, pl.PackedSize())
	kk := pl.p.KH * pl.p.KW
	i := 0
	for oc := 0; oc < pl.p.Out*pl.p.In; oc++ {
		for _, t := range pl.p.Taps {
			dst[i] = w[oc*kk+t]
			i++
		}
	}
	return dst
}

// Unpack is Pack's inverse: it writes the OIHW weight (or gradient) dst from
// packed wp, with every dead tap exactly 0.
func (pl *ConvPlan) Unpack(dst, wp []float32) []float32 {
	if len(wp) != pl.PackedSize() {
		panic(fmt.Sprintf("kernels.Unpack: packed weight has %d elements, want %d", len(wp), pl.PackedSize()))
	}
	dst = grow(dst, pl.WSize())
	clear(dst)
	kk := pl.p.KH * pl.p.KW
	i := 0
	for oc := 0; oc < pl.p.Out*pl.p.In; oc++ {
		for _, t := range pl.p.Taps {
			dst[oc*kk+t] = wp[i]
			i++
		}
	}
	return dst
}

// grow returns s resliced to n elements, reallocated only when too small.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
