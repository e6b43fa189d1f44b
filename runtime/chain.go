package runtime

import (
	"sync"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
)

// A chain is the fast path for graphs made only of 2-D Convs the kernels run
// (fastConv), Relu and same-shape Add of activations, with one NCHW float32
// input: graph.PixelCNN and the like. Where kernels.HasDirect (AVX-512), its
// activations are kept channels-last and its convs run the direct kernel
// (kernels.ForwardNHWC: no im2col); a multi-channel input or output is
// transposed once per chunk. Options.NoDirect keeps NCHW and im2col + SGEMM.
// Every op of such a graph works image by image, so a Run cuts the batch
// into chunks of 1-4 images and runs the whole graph on each chunk in its
// own goroutine, with its own activations and kernels.Workspace{Threads: 1}:
// a chunk's activations stay in L2 from layer to layer. Activation buffers
// are assigned at compile time by liveness and reused across Runs
// (chainState), so a Run in steady state allocates only its outputs.
//
// Fusion, decided at Compile, only where the result is bit-identical to
// running each node alone:
//   - Conv → Relu: the conv clamps its output (kernels.Fuse.ReluOut) when the
//     Relu is the conv output's only consumer and the conv output is no graph
//     output. max(v+b, 0) is what the two passes compute.
//   - Relu → Conv: a Relu whose every consumer is a fast Conv is never
//     materialized; the convs gather relu(x) (Fuse.ReluIn).
//   - Add → Relu: the Add also writes relu(h) in the same pass (into the
//     buffer of its dying operand), so the 1x1 conv that reads relu(h) reads
//     it directly instead of copying relu(h) into an im2col panel.
//   - Add is computed in place into an operand that dies at the Add. With
//     the NCHW kernels it is not fused into the conv producing the other
//     operand: kernels.Forward's Accumulate rounds (h + W·x) + b where the
//     graph says h + (W·x + b), which differs in the last bit. The direct
//     kernel rounds (W·x + b) + h, the graph's own operations, so a chain
//     with c.direct fuses it (see residual): the conv writes into h's buffer.
type chain struct {
	ops    []chainOp
	nvals  int
	input  int   // value id of the graph input
	output []int // value id of each graph output
	fused  bool
	direct bool // channels-last activations, convs by kernels.ForwardNHWC

	mu    sync.Mutex
	specs map[[3]int]*chainSpec // by input image shape (C,H,W); nil: not chainable
}

type chainKind uint8

const (
	chainConv chainKind = iota
	chainRelu
	chainAdd
)

// chainOp is one pass over a chunk: a conv (with its fusion), a Relu or an
// Add. in and out are value ids; an aliased value (a Relu fused into the
// conv before it) shares its producer's id.
type chainOp struct {
	kind chainKind
	node *graph.Node
	conv *fastConv
	fuse kernels.Fuse
	in   [2]int // in[1] for Add only
	out  int
	relu int // Add only: value id of relu(out) written in the same pass, or -1
	acc  int // Conv only: value id the conv adds its output to, in place (a fused residual Add), or -1
}

// compileChain returns the chain of p's graph, or nil when some node or the
// graph's inputs and outputs fall outside it.
func compileChain(g *graph.Graph, steps []step, fuse, direct bool) *chain {
	if len(g.Inputs) != 1 || len(g.Outputs) == 0 {
		return nil
	}
	in := g.Inputs[0]
	if in.DType != graph.Float32 || len(in.Shape) != 4 {
		return nil
	}
	users := map[*graph.Value][]*graph.Node{}
	for _, n := range g.Nodes {
		for _, v := range n.Inputs {
			if v != nil {
				users[v] = append(users[v], n)
			}
		}
	}
	pos := map[*graph.Node]int{} // node -> index in g.Nodes
	for i, n := range g.Nodes {
		pos[n] = i
	}
	isOut := map[*graph.Value]bool{}
	for _, v := range g.Outputs {
		if isOut[v] || v == in {
			return nil // duplicate output, or the input as an output: the generic path copies
		}
		isOut[v] = true
	}
	c := &chain{fused: fuse, direct: direct, specs: map[[3]int]*chainSpec{}}
	id := map[*graph.Value]int{}
	newID := func(v *graph.Value) int {
		id[v] = c.nvals
		c.nvals++
		return id[v]
	}
	c.input = newID(in)
	reluOf := map[*graph.Value]*graph.Value{} // unmaterialized relu(v) -> v
	producer := map[int]int{}                 // value id -> index of the conv op writing it
	adder := map[int]int{}                    // value id -> index of the Add op writing it
	act := func(v *graph.Value) (int, bool) {
		i, ok := id[v]
		return i, ok && v.Const == nil
	}
	for i, n := range g.Nodes {
		switch n.Op {
		case "Conv":
			ck, ok := steps[i].conv()
			if !ok || ck.fast == nil {
				return nil
			}
			x := n.Inputs[0]
			op := chainOp{kind: chainConv, node: n, conv: ck.fast, relu: -1, acc: -1}
			if src, ok := reluOf[x]; ok {
				x, op.fuse.ReluIn = src, true
			}
			xi, ok := act(x)
			if !ok {
				return nil
			}
			op.in[0] = xi
			op.out = newID(n.Outputs[0])
			producer[op.out] = len(c.ops)
			c.ops = append(c.ops, op)
		case "Relu":
			x, y := n.Inputs[0], n.Outputs[0]
			xi, ok := act(x)
			if _, fused := reluOf[x]; !ok || fused {
				return nil // relu(relu(x)) of an unmaterialized value: keep it simple
			}
			if pi, ok := producer[xi]; fuse && ok && len(users[x]) == 1 && !isOut[x] {
				c.ops[pi].fuse.ReluOut = true // Conv → Relu
				id[y] = xi
				delete(producer, xi)
				continue
			}
			if ai, ok := adder[xi]; fuse && ok && c.ops[ai].relu < 0 {
				c.ops[ai].relu = newID(y) // Add → Relu
				continue
			}
			if fuse && !isOut[y] && len(users[y]) > 0 && allConvInputs(users[y], y) {
				reluOf[y] = x // Relu → Conv
				continue
			}
			c.ops = append(c.ops, chainOp{kind: chainRelu, node: n, in: [2]int{xi}, out: newID(y), relu: -1, acc: -1})
		case "Add":
			a, okA := act(n.Inputs[0])
			b, okB := act(n.Inputs[1])
			if !okA || !okB {
				return nil
			}
			if fuse && direct {
				if pi, h, ok := residual(c, n, pos, users, isOut, producer, a, b); ok {
					// Conv → Add: the conv adds its output to h in place
					c.ops[pi].fuse.Accumulate, c.ops[pi].acc = true, h
					id[n.Outputs[0]] = c.ops[pi].out
					continue
				}
			}
			op := chainOp{kind: chainAdd, node: n, in: [2]int{a, b}, out: newID(n.Outputs[0]), relu: -1, acc: -1}
			adder[op.out] = len(c.ops)
			c.ops = append(c.ops, op)
		default:
			return nil
		}
	}
	for _, v := range g.Outputs {
		i, ok := id[v]
		if !ok {
			return nil
		}
		c.output = append(c.output, i)
	}
	return c
}

// residual reports whether Add node n of values a and b can be fused into
// the conv producing one of them (the direct kernel's Accumulate: the
// conv's sums plus bias, plus h, bit for bit the Add), writing into the
// buffer of the other, h, in place. It returns the conv's op index and h.
// The conv output must be read by this Add only, neither it nor the sum be
// a graph output, and its conv not be fused with an Add already; h must be
// an activation the chain owns (not the graph input, not an output) that no
// node reads after the conv, nor the conv itself.
func residual(c *chain, n *graph.Node, pos map[*graph.Node]int, users map[*graph.Value][]*graph.Node,
	isOut map[*graph.Value]bool, producer map[int]int, a, b int) (int, int, bool) {
	for k, cv := range [2]int{a, b} {
		h, hv, cvv := [2]int{b, a}[k], n.Inputs[1-k], n.Inputs[k]
		pi, ok := producer[cv]
		if !ok || cv == h || h == c.input || isOut[hv] || isOut[cvv] || isOut[n.Outputs[0]] || len(users[cvv]) != 1 {
			continue
		}
		op := &c.ops[pi]
		if op.fuse.Accumulate || op.in[0] == h {
			continue
		}
		later := false
		for _, u := range users[hv] {
			if u != n && pos[u] >= pos[op.node] {
				later = true
			}
		}
		if !later {
			return pi, h, true
		}
	}
	return 0, 0, false
}

// allConvInputs reports whether every user reads v only as a Conv's input X.
func allConvInputs(users []*graph.Node, v *graph.Value) bool {
	for _, u := range users {
		if u.Op != "Conv" || u.Inputs[0] != v {
			return false
		}
		for _, w := range u.Inputs[1:] {
			if w == v {
				return false
			}
		}
	}
	return true
}

// conv returns the step's Conv kernel state.
func (s *step) conv() (*convKernel, bool) {
	ck, ok := s.state.(*convKernel)
	return ck, ok
}

// chainSpec is a chain specialized to one input image shape: a plan per
// conv, and each value's buffer. Buffers hold `size` floats per image; a
// chunk of n images uses the first n·size of each.
type chainSpec struct {
	c       *chain
	plans   []*kernels.ConvPlan // per op (nil for Relu, Add)
	buf     []int               // per value id: buffer index, or bufInput, or bufOutput-k
	size    []int               // per buffer: floats per image
	vsize   []int               // per value id: floats per image
	outDims [][3]int            // per graph output: (C,H,W) of one image

	// Channels-last (c.direct): wd holds each conv's weight packed by
	// kernels.PackDirect; an input or output image of more than one channel
	// lives in a buffer of its own (inBuf, outVal) and is transposed from or
	// to the caller's NCHW tensor, once per chunk (one channel: the same
	// memory either way, used in place).
	wd     [][]float32 // per op (nil for Relu, Add)
	inBuf  int         // buffer of the transposed input, or -1
	inC    int         // input channels
	outVal []int       // per graph output: its value id when it is transposed at the end, else -1

	mu   sync.Mutex
	free []*chainState // idle states, reused by later Runs
}

const bufInput = -1

func bufOutput(k int) int { return -2 - k }

// spec returns the chain specialized to input images of shape (C,H,W), or
// nil when a shape does not fit (an Add that broadcasts, a conv that rejects
// the size): the generic path then runs, and reports any error.
func (c *chain) spec(dims [3]int) *chainSpec {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.specs[dims]; ok {
		return s
	}
	s := c.specialize(dims)
	c.specs[dims] = s
	return s
}

func (c *chain) specialize(dims [3]int) *chainSpec {
	shape := make([][3]int, c.nvals)
	shape[c.input] = dims
	s := &chainSpec{c: c, plans: make([]*kernels.ConvPlan, len(c.ops)), vsize: make([]int, c.nvals),
		wd: make([][]float32, len(c.ops))}
	last := make([]int, c.nvals) // value id -> last op reading it
	for i := range last {
		last[i] = -1
	}
	for i, op := range c.ops {
		x := shape[op.in[0]]
		switch op.kind {
		case chainConv:
			pl, out, err := op.conv.plan(x[0], x[1], x[2])
			if err != nil {
				return nil
			}
			s.plans[i], shape[op.out] = pl, out
			if op.acc >= 0 {
				if shape[op.acc] != out {
					return nil // the Add would broadcast
				}
				last[op.acc] = i
			}
			if c.direct {
				s.wd[i] = op.conv.direct(pl)
			}
		case chainRelu:
			shape[op.out] = x
		case chainAdd:
			if shape[op.in[1]] != x {
				return nil
			}
			shape[op.out] = x
			last[op.in[1]] = i
			if op.relu >= 0 {
				shape[op.relu] = x
			}
		}
		last[op.in[0]] = i
	}
	for v, d := range shape {
		s.vsize[v] = d[0] * d[1] * d[2]
	}
	// Assign buffers in op order: an op's output takes a free buffer of its
	// size (or an Add/Relu input dying here, in place); inputs dying at the op
	// are freed after it.
	s.buf = make([]int, c.nvals)
	for v := range s.buf {
		s.buf[v] = -1e9
	}
	s.buf[c.input] = bufInput
	s.inBuf, s.inC = -1, dims[0]
	if c.direct && dims[0] > 1 {
		s.inBuf = len(s.size)
		s.size = append(s.size, s.vsize[c.input])
		s.buf[c.input] = s.inBuf
	}
	for k, v := range c.output {
		s.outDims = append(s.outDims, shape[v])
		s.outVal = append(s.outVal, -1)
		if c.direct && shape[v][0] > 1 {
			s.outVal[k] = v
			last[v] = len(c.ops) // never freed: read by the final transpose
			continue
		}
		s.buf[v] = bufOutput(k)
	}
	owned := func(v int) bool { return s.buf[v] >= 0 }
	var free []int
	for i, op := range c.ops {
		outs := []int{op.out}
		if op.relu >= 0 {
			outs = append(outs, op.relu)
		}
		for _, o := range outs {
			if s.buf[o] != -1e9 {
				continue // the graph's input or an output
			}
			b := -1
			if op.acc >= 0 { // fused residual: in place into h, which dies here
				if !owned(op.acc) || last[op.acc] != i {
					return nil
				}
				b = s.buf[op.acc]
				last[op.acc] = -2 // its buffer now belongs to o
			}
			if op.kind != chainConv { // elementwise: in place into a dying operand
				for _, v := range op.in[:1+int(op.kind-chainRelu)] {
					if owned(v) && last[v] == i && s.vsize[v] == s.vsize[o] {
						b = s.buf[v]
						last[v] = -2 // its buffer now belongs to o
						break
					}
				}
			}
			for j := 0; b < 0 && j < len(free); j++ {
				if s.size[free[j]] == s.vsize[o] {
					b = free[j]
					free = append(free[:j], free[j+1:]...)
				}
			}
			if b < 0 {
				b = len(s.size)
				s.size = append(s.size, s.vsize[o])
			}
			s.buf[o] = b
		}
		ins := op.in[:1]
		if op.kind == chainAdd && op.in[1] != op.in[0] {
			ins = op.in[:2]
		}
		for _, v := range ins {
			if owned(v) && last[v] == i {
				free = append(free, s.buf[v])
			}
		}
		for _, o := range outs {
			if owned(o) && last[o] == -1 { // nobody reads it
				free = append(free, s.buf[o])
			}
		}
	}
	return s
}
