package sample

import (
	"context"
	"fmt"
	"slices"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// GraphForward runs g with the Go runtime (compiled once, on first use),
// feeding x to g's image input and returning its first output. A graph
// exported with a fixed batch B runs in chunks of B images, the last one
// padded with zeros. A conditional graph needs GraphForwardCond.
func GraphForward(g *graph.Graph) Forward { return graphForward(g, nil, 0) }

// GraphForwardCond is GraphForward feeding each conditioning input its
// values from conds (one value for every image, or one per image of each
// call).
func GraphForwardCond(g *graph.Graph, conds []Cond) Forward { return graphForward(g, conds, 0) }

// graphForward is GraphForwardCond on threads goroutines (0 = GOMAXPROCS).
func graphForward(g *graph.Graph, conds []Cond, threads int) Forward {
	var prog *runtime.Program
	return func(ctx context.Context, x []float32, n int) ([]float32, error) {
		in, err := ImageInput(g)
		if err != nil {
			return nil, err
		}
		cv, err := condValues(g, conds, n)
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
			feed := map[string]*graph.Tensor{in.Name: graph.NewFloat32(shape, chunk)}
			for name, vals := range cv {
				part := vals[i:min(i+b, n)]
				if len(part) < b { // the padding images take the last one's value
					part = append(append([]int64(nil), part...), slices.Repeat(part[len(part)-1:], b-len(part))...)
				}
				feed[name] = &graph.Tensor{DType: condType(g, name), Shape: []int{b}, I64: part}
			}
			out, err := prog.Run(ctx, feed)
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

// condType is the dtype of g's input name.
func condType(g *graph.Graph, name string) graph.DType {
	for _, v := range g.Inputs {
		if v.Name == name {
			return v.DType
		}
	}
	return graph.Int64
}
