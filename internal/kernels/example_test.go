package kernels_test

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// A mask-B 3x3 conv as the runtime runs it: plan once per layer and input
// size, pack the weight once, then Forward per batch with a reused Workspace.
// Training packs the current weight each step and calls Backward.
func Example() {
	const n, c, o, h, w = 2, 4, 8, 6, 6
	pl, err := kernels.NewConvPlan(kernels.ConvParams{In: c, Out: o, KH: 3, KW: 3, H: h, W: w,
		Pads: [4]int{1, 1, 1, 1}, Taps: kernels.LiveTaps(graph.Mask(graph.MaskB, 3, 3))})
	if err != nil {
		panic(err)
	}
	weight := make([]float32, o*c*3*3) // OIHW, e.g. graph's res00/b/W .Const.F32
	bias := make([]float32, o)
	wp := pl.Pack(nil, weight) // (O, C·5): only the 5 live taps

	var ws kernels.Workspace
	x := make([]float32, n*c*h*w) // (N,C,H,W)
	y := make([]float32, n*o*pl.OH*pl.OW)
	pl.Forward(&ws, y, x, wp, bias, n, kernels.Fuse{ReluOut: true}) // y = relu(conv(x) + b)

	// Training: gradients of the same conv given dL/dy.
	dy := make([]float32, len(y))
	kernels.ReluGrad(dy, dy, y) // through the fused ReluOut
	dx, dwp, db := make([]float32, len(x)), make([]float32, len(wp)), make([]float32, o)
	pl.Backward(&ws, dx, dwp, db, dy, x, wp, n, false)
	dW := pl.Unpack(nil, dwp) // OIHW; masked taps exactly 0

	fmt.Println(pl.K, pl.OH, pl.OW, len(dW))
	// Output: 20 6 6 288
}
