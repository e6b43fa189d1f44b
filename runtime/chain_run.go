package runtime

import (
	"context"
	"sync/atomic"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/internal/par"
)

// maxChunk is the most images a chunk holds in the NCHW chain: the kernels'
// seed benchmark ran best with 1-4 images per chunk (their activations stay
// in L2, and a GEMM packs its weight once for more columns).
// maxChunkDirect is the same for the channels-last chain: one image, whose
// activations (400 KB for 128 channels of 28x28) stay in L2 from layer to
// layer; the direct kernel packs nothing per call, so a bigger chunk only
// spills. Measured 2026-12-02 (seed, batch 16, interleaved in one process):
// 1.05x the images per CPU second of 4-image chunks at one thread, 1.09x at
// two (docs/BENCHMARKS.md, "Speed, round 2").
const (
	maxChunk       = 4
	maxChunkDirect = 1
)

// chainState is the memory of one goroutine running chunks of a chainSpec:
// every activation buffer, sized for sub images, and the kernels' scratch.
// States are kept by their spec and reused by later Runs.
type chainState struct {
	sub    int
	arena  []float32
	bufs   [][]float32
	ws     kernels.Workspace
	bandWS []kernels.Workspace // one per row band (runBands)
}

// get returns an idle state with room for sub images.
func (s *chainSpec) get(sub int) *chainState {
	s.mu.Lock()
	var st *chainState
	if k := len(s.free); k > 0 {
		st, s.free = s.free[k-1], s.free[:k-1]
	}
	s.mu.Unlock()
	if st == nil {
		st = &chainState{bufs: make([][]float32, len(s.size))}
	}
	if st.sub < sub {
		total := 0
		for _, n := range s.size {
			total += n * sub
		}
		st.arena, st.sub = make([]float32, total), sub
		off := 0
		for b, n := range s.size {
			st.bufs[b] = st.arena[off : off+n*sub : off+n*sub]
			off += n * sub
		}
	}
	return st
}

func (s *chainSpec) put(st *chainState) {
	s.mu.Lock()
	s.free = append(s.free, st)
	s.mu.Unlock()
}

// chunking returns images per chunk, chunks, goroutines and the kernels'
// threads per goroutine for n images and a budget of t threads: at least one
// chunk per thread while chunks hold up to most images; a batch too small
// to give every thread a chunk leaves the spare threads to the convs (bands
// of output rows).
func chunking(n, t, most int) (sub, chunks, workers, wsThreads int) {
	sub = min(max((n+t-1)/t, 1), most)
	chunks = (n + sub - 1) / sub
	workers = max(1, min(t, chunks))
	return sub, chunks, workers, max(1, t/workers)
}

// runChain runs the chain on the image input x (N,C,H,W) and the
// conditioning inputs and returns its exports. ok is false when the chain
// does not apply to x's shape; the generic path then runs. A label out of
// a table's range is the generic Gather's error, naming the Gather node.
func (p *Program) runChain(ctx context.Context, inputs map[string]*graph.Tensor) (outs []*graph.Tensor, ok bool, err error) {
	pl := p.chain.plan
	x := inputs[pl.Values[pl.Input].V.Name]
	n := x.Shape[0]
	if n == 0 || len(x.Shape) != 4 {
		return nil, false, nil
	}
	s := p.chain.spec([3]int{x.Shape[1], x.Shape[2], x.Shape[3]})
	if s == nil {
		return nil, false, nil
	}
	labels := make([][]int64, len(pl.Conds))
	for k, v := range pl.Conds {
		t := inputs[v.Name]
		if len(t.Shape) != 1 || t.Shape[0] != n {
			return nil, false, nil // the generic path reports the mismatch
		}
		labels[k] = t.I64
	}
	for _, op := range p.chain.ops {
		if e := op.l.Embed; e != nil {
			for _, lb := range labels[e.Cond] {
				if _, err := e.Row(lb); err != nil {
					return nil, true, &NodeError{Node: e.Gather.Name, Op: e.Gather.Op, Err: err}
				}
			}
		}
	}
	outs = make([]*graph.Tensor, len(s.outDims))
	for k, d := range s.outDims {
		outs[k] = graph.NewFloat32([]int{n, d[0], d[1], d[2]}, nil)
	}
	most := maxChunk
	if p.chain.direct {
		most = maxChunkDirect
	}
	sub, chunks, workers, wsThreads := chunking(n, p.opts.threads(), most)
	if workers == 1 {
		st := s.get(sub)
		st.ws.Threads = wsThreads
		for c := 0; c < chunks && ctx.Err() == nil; c++ {
			s.runChunk(ctx, st, x.F32, labels, outs, c*sub, min((c+1)*sub, n))
		}
		s.put(st)
	} else {
		var next atomic.Int32
		par.Do(workers, func() {
			st := s.get(sub)
			st.ws.Threads = wsThreads
			for c := int(next.Add(1)) - 1; c < chunks && ctx.Err() == nil; c = int(next.Add(1)) - 1 {
				s.runChunk(ctx, st, x.F32, labels, outs, c*sub, min((c+1)*sub, n))
			}
			s.put(st)
		})
	}
	if err := ctx.Err(); err != nil {
		return nil, true, err
	}
	return outs, true, nil
}

// runChunk runs every op on images [i0, i1) of x (labels: each
// conditioning input's values, checked in range) into outs, stopping early
// when ctx is done. With more threads than images and a row-causal chain
// it runs row bands (runBands).
func (s *chainSpec) runChunk(ctx context.Context, st *chainState, x []float32, labels [][]int64, outs []*graph.Tensor, i0, i1 int) {
	nc := i1 - i0
	if t := st.ws.Threads; s.bands != nil && t > nc {
		s.runBands(ctx, st, x, labels, outs, i0, i1, t/nc)
		return
	}
	if s.inBuf >= 0 { // NCHW → NHWC
		sz := s.vsize[s.c.input]
		transposeImages(st.bufs[s.inBuf][:nc*sz], x[i0*sz:i1*sz], nc, s.inC, sz/s.inC)
	}
	for i := range s.c.ops {
		if ctx.Err() != nil {
			return
		}
		s.runOp(i, st, &st.ws, x, labels, outs, i0, i1, 0, -1)
	}
	s.finish(st, outs, i0, i1)
}

// runOp runs op i on images [i0, i1), all their pixels when p1 < 0, else
// pixels [p0, p1) of the one image i0 (a row band: channels-last only).
func (s *chainSpec) runOp(i int, st *chainState, ws *kernels.Workspace, x []float32, labels [][]int64, outs []*graph.Tensor, i0, i1, p0, p1 int) {
	nc := i1 - i0
	op := &s.c.ops[i]
	whole := p1 < 0
	// rng is value v's data for the images, or for the band's pixels
	rng := func(v int) []float32 {
		d := s.slice(st, x, outs, v, i0, i1)
		if whole {
			return d
		}
		c := s.vsize[v] / (s.bands.h * s.bands.w) // channels
		return d[p0*c : p1*c]
	}
	pix := func(v, c int) int { // pixels per image of rng(v), c channels
		if whole {
			return s.vsize[v] / c
		}
		return p1 - p0
	}
	y, a := rng(op.out), rng(op.in[0])
	var b []float32
	if op.in[1] >= 0 {
		b = rng(op.in[1])
	}
	switch l := op.l; l.Kind {
	case layers.Conv:
		switch {
		case !whole:
			ys, as := s.slice(st, x, outs, op.out, i0, i1), s.slice(st, x, outs, op.in[0], i0, i1)
			s.plans[i].ForwardNHWCPixels(ws, ys, as, s.wd[i], op.conv.bias, p0, p1, op.fuse)
		case s.c.direct:
			s.plans[i].ForwardNHWC(ws, y, a, s.wd[i], op.conv.bias, nc, op.fuse)
		default:
			s.plans[i].Forward(ws, y, a, op.conv.wp, op.conv.bias, nc, op.fuse)
		}
	case layers.Unary:
		unaryF32(l.Op, y, a)
	case layers.Gate:
		if l.Halves {
			c2 := s.c.plan.Values[op.in[0]].C
			s.gateHalves(y, a, c2, nc, pix(op.in[0], c2))
		} else {
			kernels.Gate(y, a, b)
		}
	case layers.Slice:
		cx := s.c.plan.Values[op.in[0]].C
		s.sliceChannels(y, a, cx, l.Slice, nc, pix(op.in[0], cx))
	case layers.Embed:
		s.embed(y, a, l.Embed, labels[l.Embed.Cond][i0:i1], pix(op.in[0], l.Embed.C))
	case layers.Binary:
		switch {
		case l.Const != nil:
			k := s.consts[i]
			if !whole {
				c := len(k) / (s.bands.h * s.bands.w)
				k = k[p0*c : p1*c]
			}
			for j := 0; j < nc; j++ {
				yj, aj := y[j*len(k):(j+1)*len(k)], a[j*len(k):(j+1)*len(k)]
				if l.ConstFirst {
					binaryF32(l.Op, yj, k, aj)
				} else {
					binaryF32(l.Op, yj, aj, k)
				}
			}
		case op.relu >= 0:
			kernels.AddRelu(y, rng(op.relu), a, b)
		default:
			binaryF32(l.Op, y, a, b)
		}
	}
}

// finish transposes the chunk's channels-last outputs into the caller's
// NCHW tensors.
func (s *chainSpec) finish(st *chainState, outs []*graph.Tensor, i0, i1 int) {
	for k, v := range s.outVal {
		if v >= 0 {
			sz := s.vsize[v]
			c := s.outDims[k][0] // NHWC → NCHW
			transposeImages(outs[k].F32[i0*sz:i1*sz], st.bufs[s.buf[v]][:(i1-i0)*sz], i1-i0, sz/c, c)
		}
	}
}

// transposeImages writes each of n images of x, a (rows, cols) matrix, into
// y as its (cols, rows) transpose: NCHW → NHWC with rows = C, cols = H·W,
// and back with rows = H·W, cols = C.
func transposeImages(y, x []float32, n, rows, cols int) {
	sz := rows * cols
	for i := range n {
		xi, yi := x[i*sz:(i+1)*sz], y[i*sz:(i+1)*sz]
		for r := range rows {
			for c, v := range xi[r*cols : (r+1)*cols] {
				yi[c*rows+r] = v
			}
		}
	}
}

// slice returns value v's data for images [i0, i1): the caller's input, a
// graph output or a buffer of st.
func (s *chainSpec) slice(st *chainState, x []float32, outs []*graph.Tensor, v, i0, i1 int) []float32 {
	sz := s.vsize[v]
	switch b := s.buf[v]; {
	case b == bufInput:
		return x[i0*sz : i1*sz]
	case b >= 0:
		return st.bufs[b][:(i1-i0)*sz]
	default:
		return outs[-2-b].F32[i0*sz : i1*sz]
	}
}
