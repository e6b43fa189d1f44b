package runtime

import (
	"sync"

	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
)

// A chain is the fast path: it executes the layer plan (internal/layers) of
// a graph the plan routes entirely to the fast engines (Plan.Fast: one NCHW
// float32 input, every node a layer: Conv, Unary, Binary or Gate, or fused
// or folded into one): graph.PixelCNN and the like. Where kernels.HasDirect
// (AVX-512 or AVX2), its activations are kept channels-last and its convs run the
// direct kernel (kernels.ForwardNHWC: no im2col); a multi-channel input or
// output is transposed once per chunk. Options.NoDirect keeps NCHW and
// im2col + SGEMM. Every layer works image by image, so a Run cuts the batch
// into chunks (maxChunkDirect: one image channels-last; up to maxChunk NCHW)
// and runs the whole graph on each chunk in its
// own goroutine, with its own activations and kernels.Workspace{Threads: 1}:
// a chunk's activations stay in L2 from layer to layer. With more threads
// than images (batch 1 at two threads), a row-causal channels-last chain
// cuts each image into bands of rows, one goroutine a band, pipelined
// across the layers (chain_band.go). Activation buffers
// are assigned at specialization by the plan's lifetimes and reused across
// Runs (chainState), so a Run in steady state allocates only its outputs.
//
// Fusion is the plan's (layers.Fusion, every rule exact); the chain selects
// every rule but FuseResidual with the NCHW kernels, whose GEMM epilogue
// adds the residual before the bias ((h + W·x) + b where the graph says
// (W·x + b) + h): there the Add stays a pass of its own, in place into its
// dying operand, writing relu(h) in the same pass (FuseAddRelu). The
// direct kernel rounds (W·x + b) + h, the graph's own operations, so the
// channels-last chain fuses it: the conv writes into h's buffer.
type chain struct {
	plan   *layers.Plan
	ops    []chainOp
	nvals  int
	input  int   // value id of the graph input
	output []int // value id of each export (layers.Plan.Exports)
	fused  bool
	direct bool // channels-last activations, convs by kernels.ForwardNHWC

	mu    sync.Mutex
	specs map[[3]int]*chainSpec // by input image shape (C,H,W); nil: not chainable
}

// chainOp is one layer of the plan run over a chunk. in and out are value
// ids, in[1] -1 for a binary layer's constant operand.
type chainOp struct {
	l    *layers.Layer
	conv *fastConv // Conv layers
	fuse kernels.Fuse
	in   [2]int
	out  int
	relu int // Add only: value id of relu(out) written in the same pass, or -1
	acc  int // Conv only: value id the conv adds its output to, in place (a fused residual Add), or -1
}

// chainFusions are the plan's rules the chain runs (see chain).
func chainFusions(fuse, direct bool) layers.Fusion {
	switch {
	case !fuse:
		return 0
	case direct:
		return layers.FuseAll
	}
	return layers.FuseAll &^ layers.FuseResidual
}

// compileChain returns the chain executing pl's layers, or nil when the
// plan has none the chain can run (layers.Plan.Chain). Its outputs are the
// plan's exports: the graph's outputs when the plan is Fast, else also the
// values the generic interpreter goes on from.
func compileChain(pl *layers.Plan, direct bool) *chain {
	if !pl.Chain {
		return nil
	}
	c := &chain{plan: pl, nvals: len(pl.Values), input: pl.Input, output: pl.Exports,
		fused: pl.Fusions != 0, direct: direct, specs: map[[3]int]*chainSpec{}}
	for _, l := range pl.Layers {
		op := chainOp{l: l, in: [2]int{l.In[0], -1}, out: l.Out, relu: l.AlsoRelu, acc: l.Residual}
		if len(l.In) > 1 {
			op.in[1] = l.In[1]
		}
		if l.Kind == layers.Binary && l.In[0] < 0 { // the constant first: keep the activation in in[0]
			op.in = [2]int{l.In[1], -1}
		}
		if l.Kind == layers.Conv {
			op.conv = newFastConv(specAttrs(l.Conv), l.Conv.W, l.Conv.B, l.Conv.Taps)
			op.fuse = kernels.Fuse{ReluIn: l.ReluIn, ReluOut: l.ReluOut, Accumulate: l.Residual >= 0}
		}
		c.ops = append(c.ops, op)
	}
	return c
}

// specAttrs are the Conv attributes of a plan's conv layer.
func specAttrs(c *layers.ConvSpec) convAttrs {
	p := c.Pads
	return convAttrs{autoPad: "NOTSET", group: 1,
		pads:        []int64{int64(p[0]), int64(p[1]), int64(p[2]), int64(p[3])},
		strides:     []int64{int64(c.Stride[0]), int64(c.Stride[1])},
		dilations:   []int64{int64(c.Dilation[0]), int64(c.Dilation[1])},
		kernelShape: []int64{int64(c.KH), int64(c.KW)}}
}

// chainSpec is a chain specialized to one input image shape: a plan per
// conv, and each value's buffer. Buffers hold `size` floats per image; a
// chunk of n images uses the first n·size of each.
type chainSpec struct {
	c       *chain
	plans   []*kernels.ConvPlan // per op (nil but for convs)
	buf     []int               // per value id: buffer index, or bufInput, or bufOutput-k
	size    []int               // per buffer: floats per image
	vsize   []int               // per value id: floats per image
	outDims [][3]int            // per export: (C,H,W) of one image

	// Channels-last (c.direct): wd holds each conv's weight packed by
	// kernels.PackDirect; an input or output image of more than one channel
	// lives in a buffer of its own (inBuf, outVal) and is transposed from or
	// to the caller's NCHW tensor, once per chunk (one channel: the same
	// memory either way, used in place).
	wd     [][]float32 // per op (nil but for convs)
	consts [][]float32 // per op: a binary layer's constant, one image in the chain's layout
	inBuf  int         // buffer of the transposed input, or -1
	inC    int         // input channels
	outVal []int       // per export: its value id when it is transposed at the end, else -1

	bands *bandPlan // row bands' schedule (chain_band.go), nil when not row-causal

	mu   sync.Mutex
	free []*chainState // idle states, reused by later Runs
}

const bufInput = -1

func bufOutput(k int) int { return -2 - k }

// spec returns the chain specialized to input images of shape (C,H,W), or
// nil when the plan does not apply to that size (layers.Plan.Shapes: a
// kernel wider than its padded input, operands that differ): the generic
// path then runs, and reports any error.
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
	shape, err := c.plan.Shapes(dims)
	if err != nil {
		return nil
	}
	s := &chainSpec{c: c, plans: make([]*kernels.ConvPlan, len(c.ops)), vsize: make([]int, c.nvals),
		wd: make([][]float32, len(c.ops)), consts: make([][]float32, len(c.ops))}
	last := make([]int, c.nvals) // value id -> last op reading it (ops are the plan's layers)
	for v := range last {
		last[v] = c.plan.Values[v].Last()
	}
	for i, op := range c.ops {
		switch l := op.l; {
		case l.Kind == layers.Conv:
			x := shape[op.in[0]]
			pl, out, err := op.conv.plan(x[0], x[1], x[2])
			if err != nil || out != shape[op.out] {
				return nil
			}
			s.plans[i] = pl
			if c.direct {
				s.wd[i] = op.conv.direct(pl)
			}
		case l.Const != nil:
			d := shape[op.out]
			k := layers.Expand(l.Const, d[0], d[1], d[2])
			if c.direct && d[0] > 1 {
				t := make([]float32, len(k))
				transposeImages(t, k, 1, d[0], d[1]*d[2])
				k = t
			}
			s.consts[i] = k
		}
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
			if op.l.Kind != layers.Conv { // elementwise: in place into a dying operand
				for _, v := range op.in {
					if v >= 0 && owned(v) && last[v] == i && s.vsize[v] == s.vsize[o] {
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
		if op.in[1] >= 0 && op.in[1] != op.in[0] {
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
	s.bands = s.planBands(shape)
	return s
}
