package sample

import (
	"context"
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// GraphForward runs g with the Go runtime (compiled once, on first use),
// feeding x to g's image input and returning its first output.
func GraphForward(g *graph.Graph) Forward {
	var prog *runtime.Program
	return func(ctx context.Context, x []float32, n int) ([]float32, error) {
		in, err := imageInput(g)
		if err != nil {
			return nil, err
		}
		if prog == nil {
			if prog, err = runtime.Compile(g); err != nil {
				return nil, err
			}
		}
		shape := append([]int{n}, in.Shape[1:]...)
		out, err := prog.Run(ctx, map[string]*graph.Tensor{in.Name: graph.NewFloat32(shape, x)})
		if err != nil {
			return nil, err
		}
		t := out[g.Outputs[0].Name]
		if t == nil || t.DType != graph.Float32 {
			return nil, fmt.Errorf("output %s is missing or not float32", g.Outputs[0].Name)
		}
		return t.F32, nil
	}
}

// imageInput returns g's only non-constant input.
func imageInput(g *graph.Graph) (*graph.Value, error) {
	var in *graph.Value
	for _, v := range g.Inputs {
		if v.IsConst() {
			continue
		}
		if in != nil {
			return nil, fmt.Errorf("graph has more than one input (%s, %s)", in.Name, v.Name)
		}
		in = v
	}
	if in == nil || len(in.Shape) != 4 {
		return nil, fmt.Errorf("graph needs one (N,C,H,W) image input")
	}
	return in, nil
}
