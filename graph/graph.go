package graph

import (
	"fmt"
)

// Graph is a computation in topological order. It is what the DSL builds,
// what export encodes and decodes, and what runtime and training execute.
type Graph struct {
	Name    string
	Inputs  []*Value // graph inputs fed by the caller, in order
	Outputs []*Value // graph outputs, in order
	Inits   []*Value // initializers (Value.Const != nil), in order
	Nodes   []*Node  // topological order

	// Opset is the default-domain opset the graph's nodes follow. Built graphs
	// leave it 0: the encoder chooses (13 unless told otherwise).
	Opset int
	// Config is set when the graph is a PixelCNN built by PixelCNN (or restored
	// from pixelgraph metadata on import).
	Config *Config
	// Metadata holds model-level key/value pairs that are not pixelgraph's own
	// (pixelgraph.* keys are derived from Config and masks on export).
	Metadata []KV
	// Producer names the program that wrote an imported file ("pytorch").
	Producer string
}

// KV is one metadata entry.
type KV struct{ Key, Value string }

// Value is an edge of the graph: a graph input, an initializer or a node output.
type Value struct {
	Name  string
	DType DType
	// Shape has -1 for a symbolic or unknown dimension; DimNames, when non-nil,
	// holds the symbolic name of each dimension ("" for fixed ones).
	Shape    []int
	DimNames []string
	// Const holds the data of an initializer (nil otherwise).
	Const *Tensor
	// Mask is the causal mask baked into a Conv weight initializer.
	Mask MaskKind
	// Producer is the node computing the value (nil for inputs and initializers).
	Producer *Node
}

// IsConst reports whether v is an initializer.
func (v *Value) IsConst() bool { return v != nil && v.Const != nil }

// TypeString formats the value's type as "float32[N,1,28,28]".
func (v *Value) TypeString() string {
	if v.Shape == nil {
		return v.DType.String()
	}
	return v.DType.String() + ShapeString(v.Shape, v.DimNames)
}

// SetConst replaces the data of an initializer, checking its shape, and
// multiplies the mask back in, so a masked tap stays exactly 0.
func (v *Value) SetConst(data []float32) error {
	if v.Const == nil || v.Const.DType != Float32 {
		return fmt.Errorf("%s: not a float32 initializer", v.Name)
	}
	if len(data) != len(v.Const.F32) {
		return fmt.Errorf("%s: %d values, want %d for shape %v", v.Name, len(data), len(v.Const.F32), v.Const.Shape)
	}
	copy(v.Const.F32, data)
	return ApplyMask(v)
}

// Node is one operator application.
type Node struct {
	Name   string
	Op     string // ONNX op_type: "Conv", "Relu", "Add", ...
	Domain string // "" for the default ONNX domain
	// Inputs may hold nil for an omitted optional input.
	Inputs  []*Value
	Outputs []*Value
	Attrs   []Attr // in encoding order
}

// AttrType is the kind of an attribute, numbered as ONNX's AttributeProto.
type AttrType int32

// Attribute kinds (ONNX numbering).
const (
	AttrFloat   AttrType = 1
	AttrInt     AttrType = 2
	AttrString  AttrType = 3
	AttrTensor  AttrType = 4
	AttrFloats  AttrType = 6
	AttrInts    AttrType = 7
	AttrStrings AttrType = 8
)

func (t AttrType) String() string {
	switch t {
	case AttrFloat:
		return "float"
	case AttrInt:
		return "int"
	case AttrString:
		return "string"
	case AttrTensor:
		return "tensor"
	case AttrFloats:
		return "floats"
	case AttrInts:
		return "ints"
	case AttrStrings:
		return "strings"
	}
	return fmt.Sprintf("attrtype(%d)", int32(t))
}

// Attr is a node attribute; the field matching Type is set.
type Attr struct {
	Name    string
	Type    AttrType
	F       float32
	I       int64
	S       string
	T       *Tensor
	Floats  []float32
	Ints    []int64
	Strings []string
}

// Attr returns the attribute called name.
func (n *Node) Attr(name string) (Attr, bool) {
	for _, a := range n.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// IntAttr returns an int attribute, or def when absent.
func (n *Node) IntAttr(name string, def int64) int64 {
	if a, ok := n.Attr(name); ok && a.Type == AttrInt {
		return a.I
	}
	return def
}

// IntsAttr returns an ints attribute, or nil when absent.
func (n *Node) IntsAttr(name string) []int64 {
	if a, ok := n.Attr(name); ok && a.Type == AttrInts {
		return a.Ints
	}
	return nil
}

// FloatAttr returns a float attribute, or def when absent.
func (n *Node) FloatAttr(name string, def float32) float32 {
	if a, ok := n.Attr(name); ok && a.Type == AttrFloat {
		return a.F
	}
	return def
}

// StringAttr returns a string attribute, or def when absent.
func (n *Node) StringAttr(name, def string) string {
	if a, ok := n.Attr(name); ok && a.Type == AttrString {
		return a.S
	}
	return def
}

// Init returns the initializer called name, or nil.
func (g *Graph) Init(name string) *Value {
	for _, v := range g.Inits {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Validate checks the invariants listed in the package documentation: every
// node input is a graph input, an initializer or an earlier node's output;
// every value is produced once; outputs are produced; masked taps are zero.
func (g *Graph) Validate() error {
	known := map[*Value]bool{}
	names := map[string]string{}
	def := func(v *Value, what string) error {
		if v == nil {
			return fmt.Errorf("%s: nil value", what)
		}
		if known[v] {
			return fmt.Errorf("%s: value %q is defined twice", what, v.Name)
		}
		if prev, ok := names[v.Name]; ok {
			return fmt.Errorf("%s: value name %q is already used by %s", what, v.Name, prev)
		}
		known[v] = true
		names[v.Name] = what
		return nil
	}
	for _, v := range g.Inputs {
		if err := def(v, "input "+v.Name); err != nil {
			return err
		}
	}
	for _, v := range g.Inits {
		if v.Const == nil {
			return fmt.Errorf("initializer %s has no data", v.Name)
		}
		if err := v.Const.Check(); err != nil {
			return fmt.Errorf("initializer %s: %v", v.Name, err)
		}
		if err := def(v, "initializer "+v.Name); err != nil {
			return err
		}
	}
	for _, n := range g.Nodes {
		for i, in := range n.Inputs {
			if in == nil {
				continue
			}
			if !known[in] {
				return fmt.Errorf("node %s (%s): input %d %q is not defined before the node", n.Name, n.Op, i, in.Name)
			}
		}
		for _, out := range n.Outputs {
			if out == nil {
				continue
			}
			if err := def(out, "node "+n.Name); err != nil {
				return err
			}
		}
	}
	for _, v := range g.Outputs {
		if !known[v] {
			return fmt.Errorf("output %s is not computed by the graph", v.Name)
		}
	}
	return CheckMasks(g)
}
