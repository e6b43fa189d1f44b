package graph

import (
	"errors"
	"fmt"
	"strings"
)

// Builder builds a Graph layer by layer. Its methods return values and keep
// the first error, with the scope path of the layer that caused it
// (bufio.Scanner's sticky error); Build returns it. After an error, later calls
// return nil and do nothing.
//
// A Builder made by Scope shares the graph and error with its parent and
// prefixes the names it creates with its path ("res03/b").
type Builder struct {
	st    *buildState
	scope string
}

type buildState struct {
	g       *Graph
	err     error
	init    *initializer
	names   map[string]bool
	counter map[string]int
	built   bool
}

// BatchDim is the name of the symbolic batch dimension of built graphs.
const BatchDim = "N"

// NewBuilder starts a graph. seed drives every initializer (Glorot-uniform
// weights, small uniform biases): the same seed and calls give the same graph.
func NewBuilder(name string, seed uint64) *Builder {
	return &Builder{st: &buildState{
		g:       &Graph{Name: name},
		init:    newInitializer(seed),
		names:   map[string]bool{},
		counter: map[string]int{},
	}}
}

// Scope returns a builder whose names are prefixed by name ("res03").
func (b *Builder) Scope(name string) *Builder {
	if err := checkName(name); err != nil {
		b.fail(b.path(name), err)
	}
	return &Builder{st: b.st, scope: b.path(name)}
}

// Err returns the first error recorded so far.
func (b *Builder) Err() error { return b.st.err }

func (b *Builder) path(name string) string {
	if b.scope == "" {
		return name
	}
	return b.scope + "/" + name
}

func (b *Builder) fail(where string, err error) {
	if b.st.err == nil {
		b.st.err = fmt.Errorf("%s: %w", where, err)
	}
}

func (b *Builder) failf(where, format string, args ...any) {
	b.fail(where, fmt.Errorf(format, args...))
}

func checkName(name string) error {
	if name == "" {
		return errors.New("empty name")
	}
	if strings.ContainsAny(name, "/ \t\n") {
		return fmt.Errorf("name %q must not contain '/' or spaces", name)
	}
	return nil
}

// autoName returns the path of name, or of op plus a counter when name is "".
func (b *Builder) autoName(name, op string) string {
	if name != "" {
		return b.path(name)
	}
	for {
		b.st.counter[b.scope+"\x00"+op]++
		p := b.path(fmt.Sprintf("%s%d", op, b.st.counter[b.scope+"\x00"+op]))
		if !b.st.names[p] {
			return p
		}
	}
}

func (b *Builder) claim(where, name string) bool {
	if b.st.names[name] {
		b.failf(where, "name %q is already used", name)
		return false
	}
	b.st.names[name] = true
	return true
}

// usable reports whether the builder may go on, recording an error for a nil
// or foreign input.
func (b *Builder) usable(where string, vs ...*Value) bool {
	if b.st.err != nil {
		return false
	}
	if b.st.built {
		b.failf(where, "builder already built")
		return false
	}
	for _, v := range vs {
		if v == nil {
			b.failf(where, "input is nil")
			return false
		}
		if !b.st.names[v.Name] {
			b.failf(where, "input %q does not belong to this builder", v.Name)
			return false
		}
	}
	return true
}

// Input declares a float32 image input [N, channels, height, width] with a
// symbolic batch dimension N.
func (b *Builder) Input(name string, channels, height, width int) *Value {
	where, ok := b.inputPath(name)
	if !ok {
		return nil
	}
	if channels <= 0 || height <= 0 || width <= 0 {
		b.failf(where, "input sizes must be > 0, got channels=%d height=%d width=%d", channels, height, width)
		return nil
	}
	return b.addInput(&Value{Name: where, DType: Float32, Shape: []int{-1, channels, height, width},
		DimNames: []string{BatchDim, "", "", ""}})
}

// inputPath is the scoped name of a new graph input, or false (the
// failure recorded) when the builder has failed or the name is invalid.
func (b *Builder) inputPath(name string) (string, bool) {
	where := b.path(name)
	if !b.usable(where) {
		return "", false
	}
	if err := checkName(name); err != nil {
		b.fail(where, err)
		return "", false
	}
	return where, true
}

// addInput claims v's name and appends v to the graph's inputs (nil when
// the name is taken).
func (b *Builder) addInput(v *Value) *Value {
	if !b.claim(v.Name, v.Name) {
		return nil
	}
	b.st.g.Inputs = append(b.st.g.Inputs, v)
	return v
}

// ConvSpec describes a 2-D convolution. The zero value of each field is its
// documented default.
type ConvSpec struct {
	Name     string   // layer name inside the scope; default a counter ("conv3")
	Out      int      // output channels (required, > 0)
	Kernel   int      // square kernel size (required, > 0); the kernel's height when Width is set
	Width    int      // kernel width of a k×w kernel (the horizontal stack's 1×k); default Kernel
	Stride   int      // default 1
	Dilation int      // default 1
	Pad      int      // symmetric padding on every side, default 0
	Pads     *[4]int  // explicit pads (top, left, bottom, right); overrides Pad
	NoBias   bool     // default: with bias
	Mask     MaskKind // default MaskNone
}

// SamePad is the padding that keeps the spatial size of a stride-1 conv with
// an odd kernel k and dilation d.
func SamePad(k, d int) int {
	if d <= 0 {
		d = 1
	}
	return d * (k - 1) / 2
}

// Conv applies a convolution to x (N,C,H,W) giving (N,Out,H',W'); its weight
// W (Out,C,k,k) and bias B (Out) are initializers named "<scope>/<name>/W"
// and ".../B". A masked conv has its mask multiplied into W at creation.
func (b *Builder) Conv(x *Value, s ConvSpec) *Value {
	where := b.autoName(s.Name, "conv")
	if !b.usable(where, x) {
		return nil
	}
	if s.Name != "" {
		if err := checkName(s.Name); err != nil {
			b.fail(where, err)
			return nil
		}
	}
	if s.Stride == 0 {
		s.Stride = 1
	}
	if s.Dilation == 0 {
		s.Dilation = 1
	}
	pads := [4]int{s.Pad, s.Pad, s.Pad, s.Pad}
	if s.Pads != nil {
		pads = *s.Pads
	}
	kh, kw := s.Kernel, s.Width
	if kw == 0 {
		kw = kh
	}
	same := [4]int{SamePad(kh, s.Dilation), SamePad(kw, s.Dilation), SamePad(kh, s.Dilation), SamePad(kw, s.Dilation)}
	switch {
	case s.Out <= 0:
		b.failf(where, "output channels must be > 0, got %d", s.Out)
	case s.Kernel <= 0 || kw <= 0:
		b.failf(where, "kernel must be > 0, got %dx%d", kh, kw)
	case s.Stride < 0 || s.Dilation < 0:
		b.failf(where, "stride and dilation must be > 0, got stride %d, dilation %d", s.Stride, s.Dilation)
	case pads[0] < 0 || pads[1] < 0 || pads[2] < 0 || pads[3] < 0:
		b.failf(where, "pads must be >= 0, got %v", pads)
	case !s.Mask.Valid():
		b.failf(where, "unknown mask %v", s.Mask)
	case s.Mask != MaskNone && (kh%2 == 0 || kw%2 == 0) && kh == kw:
		b.failf(where, "mask %v needs an odd kernel, got %d", s.Mask, s.Kernel)
	case s.Mask != MaskNone && (kh%2 == 0 || kw%2 == 0):
		b.failf(where, "mask %v needs an odd kernel, got %dx%d", s.Mask, kh, kw)
	case s.Mask != MaskNone && Live(s.Mask, kh, kw) == 0 && kh == kw:
		b.failf(where, "mask %v on a %dx%d kernel hides every tap", s.Mask, kh, kw)
	case s.Mask != MaskNone && Live(s.Mask, kh, kw) == 0:
		b.failf(where, "mask %v on a %dx%d kernel hides every tap", s.Mask, kh, kw)
	case s.Mask != MaskNone && s.Stride != 1:
		b.failf(where, "mask %v needs stride 1 to stay causal, got %d", s.Mask, s.Stride)
	case s.Mask != MaskNone && kh == kw && pads != same:
		b.failf(where, "mask %v needs same padding %d on every side so the centre tap is the output pixel, got %v",
			s.Mask, same[0], pads)
	case s.Mask != MaskNone && pads != same:
		b.failf(where, "mask %v needs same padding %v (top, left, bottom, right) so the centre tap is the output pixel, got %v",
			s.Mask, same, pads)
	case len(x.Shape) != 4:
		b.failf(where, "input %s must be (N,C,H,W), got %s", x.Name, x.TypeString())
	}
	if b.st.err != nil {
		return nil
	}
	c, h, w := x.Shape[1], x.Shape[2], x.Shape[3]
	spanH, spanW := s.Dilation*(kh-1)+1, s.Dilation*(kw-1)+1
	oh := (h+pads[0]+pads[2]-spanH)/s.Stride + 1
	ow := (w+pads[1]+pads[3]-spanW)/s.Stride + 1
	if h+pads[0]+pads[2] < spanH || w+pads[1]+pads[3] < spanW {
		if kh == kw {
			b.failf(where, "kernel %d (dilation %d) spans %d pixels, more than the padded input %dx%d of %s",
				s.Kernel, s.Dilation, spanH, h+pads[0]+pads[2], w+pads[1]+pads[3], x.Name)
		} else {
			b.failf(where, "kernel %dx%d (dilation %d) spans %dx%d pixels, more than the padded input %dx%d of %s",
				kh, kw, s.Dilation, spanH, spanW, h+pads[0]+pads[2], w+pads[1]+pads[3], x.Name)
		}
		return nil
	}
	if !b.claim(where, where) || !b.claim(where, where+"/W") {
		return nil
	}
	W := &Value{Name: where + "/W", DType: Float32, Mask: s.Mask,
		Const: NewFloat32([]int{s.Out, c, kh, kw}, b.st.init.glorot(where+"/W", s.Out, c, kh, kw))}
	W.Shape = W.Const.Shape
	if err := ApplyMask(W); err != nil {
		b.fail(where, err)
		return nil
	}
	inputs := []*Value{x, W}
	b.st.g.Inits = append(b.st.g.Inits, W)
	if !s.NoBias {
		if !b.claim(where, where+"/B") {
			return nil
		}
		B := &Value{Name: where + "/B", DType: Float32,
			Const: NewFloat32([]int{s.Out}, b.st.init.bias(where+"/B", c*kh*kw, s.Out))}
		B.Shape = B.Const.Shape
		b.st.g.Inits = append(b.st.g.Inits, B)
		inputs = append(inputs, B)
	}
	d, st := int64(s.Dilation), int64(s.Stride)
	n := &Node{Name: where, Op: "Conv", Inputs: inputs, Attrs: []Attr{
		{Name: "dilations", Type: AttrInts, Ints: []int64{d, d}},
		{Name: "group", Type: AttrInt, I: 1},
		{Name: "kernel_shape", Type: AttrInts, Ints: []int64{int64(kh), int64(kw)}},
		{Name: "pads", Type: AttrInts, Ints: []int64{int64(pads[0]), int64(pads[1]), int64(pads[2]), int64(pads[3])}},
		{Name: "strides", Type: AttrInts, Ints: []int64{st, st}},
	}}
	return b.emit(n, where, x, []int{x.Shape[0], s.Out, oh, ow})
}

// emit appends n with one float32 output named name, shaped like shape, with
// like's dim names for the batch dimension.
func (b *Builder) emit(n *Node, name string, like *Value, shape []int) *Value {
	out := &Value{Name: name, DType: Float32, Shape: shape, Producer: n}
	if like.DimNames != nil {
		out.DimNames = make([]string, len(shape))
		out.DimNames[0] = like.DimNames[0]
	}
	n.Outputs = []*Value{out}
	b.st.g.Nodes = append(b.st.g.Nodes, n)
	return out
}

// Relu applies max(x, 0).
func (b *Builder) Relu(x *Value) *Value {
	where := b.autoName("", "relu")
	if !b.usable(where, x) || !b.claim(where, where) {
		return nil
	}
	return b.emit(&Node{Name: where, Op: "Relu", Inputs: []*Value{x}}, where, x, append([]int(nil), x.Shape...))
}

// Add returns x + y; both must have the same shape (the DSL does not broadcast).
func (b *Builder) Add(x, y *Value) *Value {
	where, ok := b.pair("add", x, y)
	if !ok {
		return nil
	}
	return b.emit(&Node{Name: where, Op: "Add", Inputs: []*Value{x, y}}, where, x, append([]int(nil), x.Shape...))
}

// Gate returns the gated activation tanh(a) ⊙ σ(b) of two values of the
// same shape (the Gated PixelCNN's unit): in ONNX the plain ops Tanh,
// Sigmoid and Mul, named "<gate>/tanh", "<gate>/sigmoid" and "<gate>".
func (b *Builder) Gate(a, c *Value) *Value {
	where, ok := b.pair("gate", a, c, "/tanh", "/sigmoid")
	if !ok {
		return nil
	}
	return b.gateAt(where, a, c)
}

// gateAt emits the gate's Tanh, Sigmoid and Mul named after where (claimed
// by the caller).
func (b *Builder) gateAt(where string, a, c *Value) *Value {
	if b.st.err != nil {
		return nil
	}
	shape := func() []int { return append([]int(nil), a.Shape...) }
	t := b.emit(&Node{Name: where + "/tanh", Op: "Tanh", Inputs: []*Value{a}}, where+"/tanh", a, shape())
	s := b.emit(&Node{Name: where + "/sigmoid", Op: "Sigmoid", Inputs: []*Value{c}}, where+"/sigmoid", a, shape())
	return b.emit(&Node{Name: where, Op: "Mul", Inputs: []*Value{t, s}}, where, a, shape())
}

// pair names a layer of two same-shaped inputs (op plus a counter) and
// claims that name and the name plus each suffix; ok is false after an
// error.
func (b *Builder) pair(op string, x, y *Value, suffixes ...string) (string, bool) {
	where := b.autoName("", op)
	if !b.usable(where, x, y) {
		return "", false
	}
	if !sameShape(x.Shape, y.Shape) {
		b.failf(where, "shapes differ: %s is %s, %s is %s", x.Name, x.TypeString(), y.Name, y.TypeString())
		return "", false
	}
	for _, s := range append([]string{""}, suffixes...) {
		if !b.claim(where, where+s) {
			return "", false
		}
	}
	return where, true
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Output marks v as a graph output called name (the value is renamed).
func (b *Builder) Output(name string, v *Value) {
	where := b.path(name)
	if !b.usable(where, v) {
		return
	}
	if err := checkName(name); err != nil {
		b.fail(where, err)
		return
	}
	if v.Producer == nil {
		b.failf(where, "%s is not computed by a node", v.Name)
		return
	}
	for _, o := range b.st.g.Outputs {
		if o == v {
			b.failf(where, "%s is already output %s", v.Name, o.Name)
			return
		}
	}
	if where != v.Name {
		if !b.claim(where, where) {
			return
		}
		delete(b.st.names, v.Name)
		v.Name = where
	}
	b.st.g.Outputs = append(b.st.g.Outputs, v)
}

// Build finishes the graph, validates it and returns it, or the first error.
func (b *Builder) Build() (*Graph, error) {
	if b.st.err != nil {
		return nil, b.st.err
	}
	if b.st.built {
		return nil, errors.New("builder already built")
	}
	g := b.st.g
	switch {
	case len(g.Inputs) == 0:
		return nil, errors.New("graph has no input")
	case len(g.Outputs) == 0:
		return nil, errors.New("graph has no output")
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	b.st.built = true
	return g, nil
}
