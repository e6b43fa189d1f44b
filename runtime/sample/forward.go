package sample

import (
	"context"
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// GraphForward runs g with the Go runtime (compiled once, on first use),
// feeding x to g's image input and returning its first output. A graph
// exported with a fixed batch B runs in chunks of B images, the last one
// padded with zeros.
func GraphForward(g *graph.Graph) Forward { return graphForward(g, 0) }

// graphForward is GraphForward on threads goroutines (0 = GOMAXPROCS).
func graphForward(g *graph.Graph, threads int) Forward {
	var prog *runtime.Program
	return func(ctx context.Context, x []float32, n int) ([]float32, error) {
		in, err := imageInput(g)
		if err != nil {
			return nil, err
		}
		if prog == nil {
			if prog, err = runtime.CompileWith(g, runtime.Options{Threads: threads}); err != nil {
				return nil, err
			}
		}
		b := n
		if in.Shape[0] > 0 {
			b = in.Shape[0]
		}
		per := len(x) / n
		var res []float32
		for i := 0; i < n; i += b {
			chunk := x[i*per : min(i+b, n)*per]
			if len(chunk) < b*per {
				chunk = append(append(make([]float32, 0, b*per), chunk...), make([]float32, b*per-len(chunk))...)
			}
			shape := append([]int{b}, in.Shape[1:]...)
			out, err := prog.Run(ctx, map[string]*graph.Tensor{in.Name: graph.NewFloat32(shape, chunk)})
			if err != nil {
				return nil, err
			}
			t := out[g.Outputs[0].Name]
			if t == nil || t.DType != graph.Float32 {
				return nil, fmt.Errorf("output %s is missing or not float32", g.Outputs[0].Name)
			}
			if b == n {
				return t.F32, nil
			}
			o := len(t.F32) / b
			res = append(res, t.F32[:(min(i+b, n)-i)*o]...)
		}
		return res, nil
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
