package sample

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// CausalityError says why a graph cannot be proven autoregressive in raster
// order: a Conv tap that lets an output pixel see the input pixel itself or
// a later one, or a layer that reads a later position of the layer below.
type CausalityError struct {
	Node  string // node name
	Op    string // node op ("Conv", ...)
	Input string // the value read through the tap
	// Row and Col locate the tap in the kernel (-1 for a pointwise op).
	Row, Col int
	// Offset is the position read, relative to the output pixel.
	Offset graph.Offset
	// Reason is a short explanation ("the first layer sees its own pixel").
	Reason string
}

func (e *CausalityError) Error() string {
	tap := ""
	if e.Row >= 0 {
		tap = fmt.Sprintf(" tap (%d,%d)", e.Row, e.Col)
	}
	return fmt.Sprintf("node %s (%s)%s reads %s at offset (%+d,%+d): %s",
		e.Node, e.Op, tap, e.Input, e.Offset.Dy, e.Offset.Dx, e.Reason)
}

// UnsupportedError names a node the cached sampler cannot evaluate
// incrementally (the naive sampler may still run the graph).
type UnsupportedError struct {
	Node, Op string
	Reason   string
}

func (e *UnsupportedError) Error() string {
	return fmt.Sprintf("node %s (%s): %s", e.Node, e.Op, e.Reason)
}

// after reports whether offset o lies after (0,0) in raster order.
func after(o graph.Offset) bool { return o.Dy > 0 || (o.Dy == 0 && o.Dx > 0) }
