package runtime

import (
	"fmt"
	"sort"

	"github.com/pixelgraph/pixelgraph/graph"
)

// kernel runs one compiled node on its inputs (nil for an omitted optional
// input) and returns its single output. It must not modify its inputs. It
// may take its output buffer from rc (recycled, not zeroed).
type kernel func(rc *runCtx, ins []*graph.Tensor) (*graph.Tensor, error)

// kernelN is kernel for ops with several outputs (Split, Dropout's mask,
// MaxPool's indices): it returns one tensor per node output, nil for an
// output the node omits.
type kernelN func(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error)

// opDef describes one supported op.
type opDef struct {
	minIn, maxIn int
	// maxOut is the number of outputs the op may have (0 means 1; -1 means
	// any number). Ops with more than one output compile with compileN.
	maxOut int
	// view: output 0 may share memory with input 0 (Reshape, Identity...).
	view bool
	// constant: the output is data held by the node (Constant).
	constant bool
	// infer computes static outputs (see static.go) when the compile
	// function does not set nodeCtx.infer; nil: nothing is known.
	infer    inferFn
	compile  func(c *nodeCtx) (kernel, error)
	compileN func(c *nodeCtx) (kernelN, error)
}

// compiled is a node ready to run: exactly one of fn and fnN is set.
type compiled struct {
	fn    kernel
	fnN   kernelN
	infer inferFn
	def   opDef
}

// run calls the node's kernel and returns its outputs, one per node output.
func (k *compiled) run(rc *runCtx, ins []*graph.Tensor) ([]*graph.Tensor, error) {
	if k.fnN != nil {
		return k.fnN(rc, ins)
	}
	t, err := k.fn(rc, ins)
	if err != nil {
		return nil, err
	}
	return []*graph.Tensor{t}, nil
}

// ops is the supported set, keyed by op_type in the default domain.
var ops map[string]opDef

func init() {
	ops = map[string]opDef{
		"Conv":               {minIn: 2, maxIn: 3, compile: compileConv},
		"ConvTranspose":      {minIn: 2, maxIn: 3, compile: compileConvTranspose},
		"MaxPool":            {minIn: 1, maxIn: 1, maxOut: 2, compileN: compilePool(true)},
		"AveragePool":        {minIn: 1, maxIn: 1, compileN: compilePool(false)},
		"GlobalAveragePool":  {minIn: 1, maxIn: 1, compile: compileGlobalAveragePool},
		"BatchNormalization": {minIn: 5, maxIn: 5, maxOut: 5, compileN: compileBatchNorm},
		"Dropout":            {minIn: 1, maxIn: 3, maxOut: 2, view: true, compileN: compileDropout},

		"Relu":      {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Relu")},
		"Sigmoid":   {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Sigmoid")},
		"Tanh":      {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Tanh")},
		"Exp":       {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Exp")},
		"Log":       {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Log")},
		"Sqrt":      {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Sqrt")},
		"Neg":       {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Neg")},
		"Softplus":  {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileMathOp("Softplus")},
		"Elu":       {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileElu},
		"LeakyRelu": {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileLeakyRelu},
		"Clip":      {minIn: 1, maxIn: 3, compile: compileClip},

		"Add":  {minIn: 2, maxIn: 2, compile: compileBinary(opAdd)},
		"Sub":  {minIn: 2, maxIn: 2, compile: compileBinary(opSub)},
		"Mul":  {minIn: 2, maxIn: 2, compile: compileBinary(opMul)},
		"Div":  {minIn: 2, maxIn: 2, compile: compileBinary(opDiv)},
		"Min":  {minIn: 1, maxIn: -1, compile: compileVariadic(opMin, false)},
		"Max":  {minIn: 1, maxIn: -1, compile: compileVariadic(opMax, false)},
		"Sum":  {minIn: 1, maxIn: -1, compile: compileVariadic(opAdd, false)},
		"Mean": {minIn: 1, maxIn: -1, compile: compileVariadic(opAdd, true)},

		"Softmax":    {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileSoftmax(false)},
		"LogSoftmax": {minIn: 1, maxIn: 1, infer: sameAsInput, compile: compileSoftmax(true)},
		"Gemm":       {minIn: 2, maxIn: 3, compile: compileGemm},
		"MatMul":     {minIn: 2, maxIn: 2, compile: compileMatMul},
		"ArgMax":     {minIn: 1, maxIn: 1, compile: compileArgMax},

		"Reshape":   {minIn: 1, maxIn: 2, view: true, compile: compileReshape},
		"Squeeze":   {minIn: 1, maxIn: 2, view: true, compile: compileSqueeze},
		"Unsqueeze": {minIn: 1, maxIn: 2, view: true, compile: compileUnsqueeze},
		"Flatten":   {minIn: 1, maxIn: 1, view: true, compile: compileFlatten},
		"Identity":  {minIn: 1, maxIn: 1, view: true, compile: compileIdentity},
		"Transpose": {minIn: 1, maxIn: 1, compile: compileTranspose},
		"Concat":    {minIn: 1, maxIn: -1, compile: compileConcat},
		"Constant":  {minIn: 0, maxIn: 0, constant: true, compile: compileConstant},
		"Cast":      {minIn: 1, maxIn: 1, compile: compileCast},

		"Gather":          {minIn: 2, maxIn: 2, compile: compileGather},
		"Slice":           {minIn: 1, maxIn: 5, compile: compileSlice},
		"Split":           {minIn: 1, maxIn: 2, maxOut: -1, compileN: compileSplit},
		"Pad":             {minIn: 1, maxIn: 4, compile: compilePad},
		"Expand":          {minIn: 2, maxIn: 2, compile: compileExpand},
		"Shape":           {minIn: 1, maxIn: 1, compile: compileShape},
		"ConstantOfShape": {minIn: 1, maxIn: 1, compile: compileConstantOfShape},
	}
}

// Ops returns the supported op types (default ONNX domain), sorted.
func Ops() []string {
	names := make([]string, 0, len(ops))
	for name := range ops {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// compileNode validates n at opset and returns it compiled.
func compileNode(n *graph.Node, opset int) (*compiled, error) {
	unsupported := func(attr, reason string) error {
		return &UnsupportedError{Node: n.Name, Op: n.Op, Domain: n.Domain, Opset: opset, Attr: attr, Reason: reason}
	}
	if n.Domain != "" && n.Domain != "ai.onnx" {
		return nil, unsupported("", "op outside the default ONNX domain")
	}
	def, ok := ops[n.Op]
	if !ok {
		return nil, unsupported("", "")
	}
	nin := len(n.Inputs)
	for nin > 0 && n.Inputs[nin-1] == nil { // trailing omitted optionals
		nin--
	}
	if nin < def.minIn || (def.maxIn >= 0 && nin > def.maxIn) {
		return nil, &NodeError{Node: n.Name, Op: n.Op, Err: fmt.Errorf("%d inputs, want %s", nin, arity(def.minIn, def.maxIn))}
	}
	for i := 0; i < def.minIn; i++ {
		if n.Inputs[i] == nil {
			return nil, &NodeError{Node: n.Name, Op: n.Op, Err: fmt.Errorf("required input %d is missing", i)}
		}
	}
	maxOut := def.maxOut
	if maxOut == 0 {
		maxOut = 1
	}
	if len(n.Outputs) == 0 || (maxOut > 0 && len(n.Outputs) > maxOut) {
		if maxOut == 1 {
			return nil, unsupported("", fmt.Sprintf("%d outputs (the op has one)", len(n.Outputs)))
		}
		return nil, &NodeError{Node: n.Name, Op: n.Op, Err: fmt.Errorf("%d outputs, want %s", len(n.Outputs), arity(1, maxOut))}
	}
	if n.Outputs[0] == nil {
		return nil, &NodeError{Node: n.Name, Op: n.Op, Err: fmt.Errorf("output 0 is omitted")}
	}
	c := &nodeCtx{n: n, opset: opset, used: map[string]bool{}}
	k := &compiled{def: def}
	var err error
	if def.compileN != nil {
		k.fnN, err = def.compileN(c)
	} else {
		k.fn, err = def.compile(c)
	}
	if err != nil {
		return nil, err
	}
	if c.err != nil {
		return nil, c.err
	}
	for _, a := range n.Attrs {
		if !c.used[a.Name] {
			return nil, unsupported(a.Name, "")
		}
	}
	k.infer = c.infer
	if k.infer == nil {
		k.infer = def.infer
	}
	return k, nil
}

func arity(lo, hi int) string {
	switch {
	case hi < 0:
		return fmt.Sprintf("at least %d", lo)
	case lo == hi:
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d to %d", lo, hi)
}

// nodeCtx reads a node's attributes for its compile function, recording which
// ones were read (the rest are unknown and rejected) and the first error.
type nodeCtx struct {
	n     *graph.Node
	opset int
	used  map[string]bool
	err   error
	infer inferFn
}

func (c *nodeCtx) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// errf records an invalid attribute value or input arrangement.
func (c *nodeCtx) errf(format string, args ...any) error {
	err := &NodeError{Node: c.n.Name, Op: c.n.Op, Err: fmt.Errorf(format, args...)}
	c.fail(err)
	return err
}

// unsupported records an attribute (value) the runtime does not handle.
func (c *nodeCtx) unsupported(attr, reason string) error {
	err := &UnsupportedError{Node: c.n.Name, Op: c.n.Op, Opset: c.opset, Attr: attr, Reason: reason}
	c.fail(err)
	return err
}

func (c *nodeCtx) attr(name string, typ graph.AttrType) (graph.Attr, bool) {
	a, ok := c.n.Attr(name)
	if !ok {
		return a, false
	}
	c.used[name] = true
	if a.Type != typ {
		c.errf("attribute %q has type %v, want %v", name, a.Type, typ)
		return a, false
	}
	return a, true
}

func (c *nodeCtx) has(name string) bool {
	_, ok := c.n.Attr(name)
	return ok
}

func (c *nodeCtx) int(name string, def int64) int64 {
	if a, ok := c.attr(name, graph.AttrInt); ok {
		return a.I
	}
	return def
}

func (c *nodeCtx) float(name string, def float32) float32 {
	if a, ok := c.attr(name, graph.AttrFloat); ok {
		return a.F
	}
	return def
}

func (c *nodeCtx) str(name, def string) string {
	if a, ok := c.attr(name, graph.AttrString); ok {
		return a.S
	}
	return def
}

// ints returns an ints attribute, or nil when absent.
func (c *nodeCtx) ints(name string) []int64 {
	if a, ok := c.attr(name, graph.AttrInts); ok {
		if a.Ints == nil {
			return []int64{}
		}
		return a.Ints
	}
	return nil
}

// legacy accepts attributes of early opsets that carry no semantics here
// (consumed_inputs before opset 6).
func (c *nodeCtx) legacyConsumedInputs() {
	if c.opset < 6 {
		c.ints("consumed_inputs")
	}
}

// wantOut reports whether the node computes output i (present and named).
func (c *nodeCtx) wantOut(i int) bool {
	return i < len(c.n.Outputs) && c.n.Outputs[i] != nil
}

// present reports whether the node has input i (not omitted).
func (c *nodeCtx) present(i int) bool {
	return i < len(c.n.Inputs) && c.n.Inputs[i] != nil
}

// constInput returns the data of input i when it is an initializer.
func (c *nodeCtx) constInput(i int) *graph.Tensor {
	if i < len(c.n.Inputs) && c.n.Inputs[i] != nil {
		return c.n.Inputs[i].Const
	}
	return nil
}
