package runtime

import (
	"fmt"
	"strings"
)

// UnsupportedError reports a valid graph that this runtime cannot run: an op
// outside the supported set, an opset outside the supported range, or an
// attribute (or attribute value) the op does not accept at that opset.
// Compile returns it before anything runs.
type UnsupportedError struct {
	Node   string // node name ("" when the node has none)
	Op     string // op_type
	Domain string // "" for the default ONNX domain
	Opset  int    // the graph's default-domain opset as interpreted (0 read as 13)
	Attr   string // the offending attribute, if any
	Reason string // what exactly is unsupported, if more than the op
}

func (e *UnsupportedError) Error() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "runtime: node %q (op %s", e.Node, e.Op)
	if e.Domain != "" {
		fmt.Fprintf(&sb, ", domain %q", e.Domain)
	}
	fmt.Fprintf(&sb, ", opset %d): unsupported", e.Opset)
	switch {
	case e.Attr != "" && e.Reason != "":
		fmt.Fprintf(&sb, " attribute %q: %s", e.Attr, e.Reason)
	case e.Attr != "":
		fmt.Fprintf(&sb, " attribute %q", e.Attr)
	case e.Reason != "":
		fmt.Fprintf(&sb, ": %s", e.Reason)
	default:
		sb.WriteString(" op")
	}
	return sb.String()
}

// InputError reports a caller-supplied input that does not match the graph's
// declared inputs (missing, unknown, wrong dtype or shape).
type InputError struct {
	Input string // the input's name
	Msg   string
}

func (e *InputError) Error() string { return fmt.Sprintf("runtime: input %q: %s", e.Input, e.Msg) }

// NodeError reports a failure while compiling or running one node: an invalid
// attribute value, incompatible input shapes, an integer division by zero.
type NodeError struct {
	Node string
	Op   string
	Err  error
}

func (e *NodeError) Error() string {
	return fmt.Sprintf("runtime: node %q (op %s): %v", e.Node, e.Op, e.Err)
}

func (e *NodeError) Unwrap() error { return e.Err }
