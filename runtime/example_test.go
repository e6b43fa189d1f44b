package runtime_test

import (
	"context"
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// Compile a PixelCNN once and run it at two batch sizes.
func ExampleCompile() {
	cfg := graph.DefaultConfig()
	cfg.Filters, cfg.Hidden, cfg.Blocks, cfg.Head = 8, 4, 1, 8
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		panic(err)
	}
	p, err := runtime.Compile(g)
	if err != nil {
		panic(err)
	}
	for _, n := range []int{1, 3} {
		x := graph.NewFloat32([]int{n, 1, 28, 28}, nil) // a blank image per item
		out, err := p.Run(context.Background(), map[string]*graph.Tensor{graph.InputName: x})
		if err != nil {
			panic(err)
		}
		fmt.Println(out[graph.OutputName].Shape)
	}
	// Output:
	// [1 4 28 28]
	// [3 4 28 28]
}

// An op outside the supported set is refused before anything runs.
func ExampleUnsupportedError() {
	x := &graph.Value{Name: "x", DType: graph.Float32, Shape: []int{1}}
	n := &graph.Node{Name: "act", Op: "Selu", Inputs: []*graph.Value{x}}
	y := &graph.Value{Name: "y", DType: graph.Float32, Producer: n}
	n.Outputs = []*graph.Value{y}
	g := &graph.Graph{Inputs: []*graph.Value{x}, Outputs: []*graph.Value{y}, Nodes: []*graph.Node{n}, Opset: 13}
	_, err := runtime.Compile(g)
	fmt.Println(err)
	// Output:
	// runtime: node "act" (op Selu, opset 13): unsupported op
}
