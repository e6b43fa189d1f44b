package train

import "fmt"

// UnsupportedError reports a graph the lowering cannot train: an op, an
// attribute value or a shape outside what graph.PixelCNN emits.
type UnsupportedError struct {
	Node string // node name, or "" for a graph-level problem
	Op   string
	Msg  string
}

func (e *UnsupportedError) Error() string {
	if e.Node == "" {
		return "train: " + e.Msg
	}
	return fmt.Sprintf("train: node %s (%s): %s", e.Node, e.Op, e.Msg)
}

// NonFiniteError reports a training step whose loss or gradient norm is NaN
// or infinite. The step was not applied: the weights and the optimizer state
// are those from before it.
type NonFiniteError struct {
	Step  int     // optimizer steps taken before the failed one
	What  string  // "loss" or "gradient norm"
	Value float64 // the offending value
}

func (e *NonFiniteError) Error() string {
	return fmt.Sprintf("train: step %d: %s is %v; the step was not applied", e.Step+1, e.What, e.Value)
}
