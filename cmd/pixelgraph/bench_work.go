package main

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// convWork is the multiply-adds of one image through a graph's convolutions:
// Live counts only the taps where the weight has a non-zero entry for some
// (output, input) channel pair (a masked conv's live taps), Dense every tap
// of the kernel. Nodes other than Conv are not counted: in a PixelCNN they
// are a few per cent of the time and no multiply-adds.
type convWork struct {
	Live, Dense int64
}

// GFLOP returns the work in GFLOP (2 flops per multiply-add): live, dense.
func (w convWork) GFLOP() (live, dense float64) {
	return 2 * float64(w.Live) / 1e9, 2 * float64(w.Dense) / 1e9
}

// countConvWork counts the multiply-adds per image of g's Conv nodes:
// O · (C/group) · taps · H_out · W_out each, the taps the layer plan's
// (layers.Taps: those the runtime's kernels multiply). Every
// Conv needs a constant 4-D weight and an output of known spatial size.
func countConvWork(g *graph.Graph) (convWork, error) {
	var w convWork
	for _, n := range g.Nodes {
		if n.Op != "Conv" || n.Domain != "" {
			continue
		}
		if len(n.Inputs) < 2 || !n.Inputs[1].IsConst() || len(n.Inputs[1].Const.Shape) != 4 || n.Inputs[1].Const.DType != graph.Float32 {
			return convWork{}, fmt.Errorf("node %s (Conv): weight is not a float32 4-D initializer", n.Name)
		}
		ws := n.Inputs[1].Const.Shape // (O, C/group, kh, kw)
		if len(n.Outputs) == 0 || len(n.Outputs[0].Shape) != 4 || n.Outputs[0].Shape[2] <= 0 || n.Outputs[0].Shape[3] <= 0 {
			return convWork{}, fmt.Errorf("node %s (Conv): output %v has no known spatial size", n.Name, outShape(n))
		}
		os := n.Outputs[0].Shape
		perTap := int64(ws[0]) * int64(ws[1]) * int64(os[2]) * int64(os[3])
		live := len(layers.Taps(n.Inputs[1].Const, n.Inputs[1].Mask))
		w.Live += perTap * int64(live)
		w.Dense += perTap * int64(ws[2]*ws[3])
	}
	return w, nil
}

func outShape(n *graph.Node) any {
	if len(n.Outputs) == 0 {
		return "none"
	}
	return n.Outputs[0].Shape
}
