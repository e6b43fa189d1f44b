package runtime

import (
	"github.com/pixelgraph/pixelgraph/graph"
)

// The ops that pick elements without arithmetic (Gather, Slice, Split, Pad,
// Expand) share one primitive: an index map per axis.
//
//	out[o0, o1, ..., or-1] = x[maps[0][o0], maps[1][o1], ..., maps[r-1][or-1]]
//
// where a -1 in any map selects the fill value instead (Pad's constant).
// The output shape is (len(maps[0]), ..., len(maps[r-1])).

// identityMap returns 0, 1, ..., n-1.
func identityMap(n int) []int {
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	return m
}

// takeAxes builds the tensor described above from x (rank len(maps)); fill
// is a one-element tensor of x's dtype, or nil for zero.
func takeAxes(rc *runCtx, x *graph.Tensor, maps [][]int, fill *graph.Tensor) *graph.Tensor {
	shape := make([]int, len(maps))
	for d, m := range maps {
		shape[d] = len(m)
	}
	out := rc.newTensor(x.DType, shape)
	switch {
	case storesF32(x.DType):
		var f float32
		if fill != nil {
			f = fill.F32[0]
		}
		take(out.F32, x.F32, x.Shape, maps, f)
	case x.DType == graph.Float64:
		var f float64
		if fill != nil {
			f = fill.F64[0]
		}
		take(out.F64, x.F64, x.Shape, maps, f)
	default:
		var f int64
		if fill != nil {
			f = fill.I64[0]
		}
		take(out.I64, x.I64, x.Shape, maps, f)
	}
	return out
}

// take fills dst (row-major, shape len(maps[d])) from src of shape xs.
func take[T any](dst, src []T, xs []int, maps [][]int, fill T) {
	r := len(maps)
	if len(dst) == 0 {
		return
	}
	if r == 0 {
		dst[0] = src[0]
		return
	}
	// Scale each map by its axis stride once; -1 stays -1.
	stride := 1
	off := make([][]int, r)
	for d := r - 1; d >= 0; d-- {
		off[d] = make([]int, len(maps[d]))
		for i, m := range maps[d] {
			if m < 0 {
				off[d][i] = -1
			} else {
				off[d][i] = m * stride
			}
		}
		stride *= xs[d]
	}
	inner := off[r-1]
	idx := make([]int, r-1) // position in each outer dim
	base := 0               // sum of the outer offsets, or -1 when one is padding
	for d := 0; d < r-1; d++ {
		if off[d][0] < 0 {
			base = -1
		}
		if base >= 0 {
			base += off[d][0]
		}
	}
	for o := 0; o < len(dst); o += len(inner) {
		row := dst[o : o+len(inner)]
		if base < 0 {
			for j := range row {
				row[j] = fill
			}
		} else {
			for j, k := range inner {
				if k < 0 {
					row[j] = fill
				} else {
					row[j] = src[base+k]
				}
			}
		}
		// Advance the outer index and recompute base (cheap: r is small).
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			if idx[d] < len(off[d]) {
				break
			}
			idx[d] = 0
		}
		base = 0
		for d := 0; d < r-1; d++ {
			k := off[d][idx[d]]
			if k < 0 {
				base = -1
				break
			}
			base += k
		}
	}
}
