package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"sync"
	"sync/atomic"

	"github.com/chewxy/hm"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// kconv is one masked conv of the graph run by internal/kernels, shared by
// its forward op and its three gradient ops (w.r.t. x, W and B):
//
//	y = conv(reluIn?(x), W ⊙ M) + B [+ r]   x (N,C,H,W), W (O,C,kh,kw), B (O), y and r (N,O,OH,OW)
//
// r is the other input of a residual Add fused into the conv (its gradient
// is dy, passed on without a node), added after the bias as the graph adds
// it (kernels.ForwardResidual; the NCHW kernels' Fuse.Accumulate would add
// it before the bias, one rounding away from the graph's sum).
//
// M is implicit: the plan's live taps are the mask's ones, so dead taps
// are never read and their gradient (Unpack) is exactly 0. Every op owns
// its output buffer and returns it from Do at every step (no allocation
// per step); the tape machine runs one op at a time, so the graph's ops
// share their workspaces (kworkspaces).
type kconv struct {
	name   string
	plan   *kernels.ConvPlan
	n      int  // batch
	reluIn bool // convolve relu(x): a Relu fused into this conv
	bias   bool
	resid  bool // a residual Add fused: y = conv(...) + B + r
	needDx bool // x is computed (not the graph input): its gradient is wanted
	ws     *kworkspaces

	// residTo (a conv with resid) is the other reader of r, which reads it
	// as its x: r's gradient goes to that conv's gradX op instead of to
	// gorgonia (pairResiduals). dres (on that conv) is then the gradient
	// node it adds into dx, set by residTo's owner's SymDiff.
	residTo  *kconv
	dres     *G.Node
	gradXSet bool // SymDiff built the gradX op (dres must be set before)

	wp, dwp   []float32   // packed W and its gradient (O, C·T)
	wpOf      *float32    // the W that wp packs (its first element), so gradX can check it
	parts     [][]float32 // dwp of each chunk of images (gradW)
	y, dx, dw outBuf      // outputs of the forward, gradX and gradW ops
	db        outBuf
	sums      []float32 // (N,O): Σ over pixels of dy per image and channel, written by gradW for gradB
}

// kconvKind selects what a kconvOp computes.
type kconvKind int

const (
	kconvForward kconvKind = iota // (x, W[, B]) → y
	kconvGradX                    // (x, W, dy) → dx
	kconvGradW                    // (x, W, dy) → dW, dead taps exactly 0
	kconvGradB                    // (dy, dW) → dB; dW only orders it after gradW, which sums dy's rows
)

var kconvKindName = [...]string{"KConv", "KConvGradX", "KConvGradW", "KConvGradB"}

// kworkspaces is the scratch memory of a lowered graph's kconvs: one
// workspace for calls that parallelise inside kernels, and one per
// goroutine for gradW's chunks; threads is the step's budget
// (Options.Threads, 0 = GOMAXPROCS).
type kworkspaces struct {
	all     kernels.Workspace
	one     []*kernels.Workspace
	threads int
}

// n returns the thread budget resolved.
func (w *kworkspaces) n() int { return threadsOr(w.threads) }

// gradWChunks is the number of fixed chunks of images whose weight gradients
// gradW sums separately and then adds in chunk order, so that dW is
// bit-identical whatever the number of threads (the kernels' own Backward
// hands images to workers dynamically, and float addition is not
// associative). 4 keeps 2 cores busy at batch 8 and up.
const gradWChunks = 4

func newKConv(name string, p kernels.ConvParams, n int, reluIn, bias, needDx bool, ws *kworkspaces) (*kconv, error) {
	pl, err := kernels.NewConvPlan(p)
	if err != nil {
		return nil, err
	}
	k := &kconv{name: name, plan: pl, n: n, reluIn: reluIn, bias: bias, needDx: needDx, ws: ws}
	f32 := tensor.Float32
	k.y = outBuf{dt: f32, shape: tensor.Shape{n, p.Out, pl.OH, pl.OW}}
	k.dw = outBuf{dt: f32, shape: tensor.Shape{p.Out, p.In, p.KH, p.KW}}
	k.dx = outBuf{dt: f32, shape: tensor.Shape{n, p.In, p.H, p.W}}
	k.db = outBuf{dt: f32, shape: tensor.Shape{p.Out}}
	if bias {
		k.sums = make([]float32, n*p.Out)
	}
	k.wp = make([]float32, pl.PackedSize())
	k.dwp = make([]float32, pl.PackedSize())
	k.parts = make([][]float32, min(n, gradWChunks))
	for i := range k.parts {
		k.parts[i] = make([]float32, pl.PackedSize())
	}
	return k, nil
}

// kconvOp is one of a kconv's ops as a gorgonia Op (and, for the forward,
// an SDOp whose SymDiff builds the three gradient ops).
type kconvOp struct {
	k    *kconv
	kind kconvKind
}

var (
	_ G.Op   = kconvOp{}
	_ G.SDOp = kconvOp{}
)

func (op kconvOp) Arity() int {
	switch op.kind {
	case kconvForward:
		n := 2
		if op.k.bias {
			n++
		}
		if op.k.resid {
			n++
		}
		return n
	case kconvGradB:
		return 2
	case kconvGradX:
		if op.k.dres != nil {
			return 4 // x, W, dy, and the residual's gradient to add
		}
	}
	return 3
}

func (op kconvOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := G.TensorType{Dims: 4, Of: a}
	t1 := G.TensorType{Dims: 1, Of: a}
	switch op.kind {
	case kconvForward:
		ts := []hm.Type{t4, t4}
		if op.k.bias {
			ts = append(ts, t1)
		}
		if op.k.resid {
			ts = append(ts, t4)
		}
		return hm.NewFnType(append(ts, t4)...)
	case kconvGradB:
		return hm.NewFnType(t4, t4, t1)
	}
	ts := make([]hm.Type, op.Arity()+1)
	for i := range ts {
		ts[i] = t4
	}
	return hm.NewFnType(ts...)
}

func (op kconvOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.buf().shape.Clone(), nil
}

// buf is the op's output buffer.
func (op kconvOp) buf() *outBuf {
	switch op.kind {
	case kconvGradX:
		return &op.k.dx
	case kconvGradW:
		return &op.k.dw
	case kconvGradB:
		return &op.k.db
	}
	return &op.k.y
}

func (op kconvOp) Do(vals ...G.Value) (G.Value, error) {
	k := op.k
	if len(vals) != op.Arity() {
		return nil, fmt.Errorf("%v: %d inputs, want %d", op, len(vals), op.Arity())
	}
	var f [4][]float32
	for i, v := range vals {
		d, ok := v.Data().([]float32)
		if !ok {
			return nil, fmt.Errorf("%v: input %d is %T, want float32 data", op, i, v.Data())
		}
		f[i] = d
	}
	k.ws.all.Threads = k.ws.n()
	out := op.buf().get()
	switch op.kind {
	case kconvForward:
		var b []float32
		if k.bias {
			b = f[2]
		}
		y := out.Float32s()
		k.wp, k.wpOf = k.plan.Pack(k.wp, f[1]), &f[1][0]
		if k.resid { // (W·x + b) + r, the graph's rounding (see layers.FuseResidual)
			k.plan.ForwardResidual(&k.ws.all, y, f[0], k.wp, b, f[len(vals)-1], k.n, kernels.Fuse{ReluIn: k.reluIn})
		} else {
			k.plan.Forward(&k.ws.all, y, f[0], k.wp, b, k.n, kernels.Fuse{ReluIn: k.reluIn})
		}
	case kconvGradX:
		// k.wp is W packed by this step's forward (the tape runs it first;
		// W changes only in the solver, after the tape); packed again only
		// if gradX is handed another W than the forward packed
		if k.wpOf != &f[1][0] {
			k.wp, k.wpOf = k.plan.Pack(k.wp, f[1]), &f[1][0]
		}
		var dres []float32 // the residual's gradient, added as dx is written
		if k.dres != nil {
			dres = f[3]
		}
		k.plan.BackwardX(&k.ws.all, out.Float32s(), f[2], f[0], k.wp, dres, k.n, k.reluIn)
	case kconvGradW:
		k.gradW(out.Float32s(), f[2], f[0])
	case kconvGradB:
		// dB[o] = Σ over images i, in order, of sums[i,o] (gradW's row sums of dy)
		db := out.Float32s()
		clear(db)
		for i := 0; i < k.n; i++ {
			for o, s := range k.sums[i*len(db) : (i+1)*len(db)] {
				db[o] += s
			}
		}
	}
	return out, nil
}

// gradW writes dw (O,C,kh,kw), dead taps exactly 0, from dy (N,O,OH,OW)
// and x (N,C,H,W): each of len(k.parts) fixed chunks of images is summed by
// one goroutine with a one-thread workspace, then the chunks are added in
// order.
func (k *kconv) gradW(dw, dy, x []float32) {
	chunks := len(k.parts)
	threads := min(k.ws.n(), chunks)
	for len(k.ws.one) < threads {
		k.ws.one = append(k.ws.one, &kernels.Workspace{Threads: 1})
	}
	xs, ys := k.plan.XSize(), k.plan.YSize()
	var next atomic.Int32
	work := func(ws *kernels.Workspace) {
		for c := int(next.Add(1)) - 1; c < chunks; c = int(next.Add(1)) - 1 {
			lo, hi := c*k.n/chunks, (c+1)*k.n/chunks
			k.plan.Backward(ws, nil, k.parts[c], nil, dy[lo*ys:hi*ys], x[lo*xs:hi*xs], k.wp, hi-lo, k.reluIn)
			if k.bias { // the chunk's dy was just read: sum its rows for gradB while it is in cache
				o := k.plan.Params().Out
				rowSums(k.sums[lo*o:hi*o], dy[lo*ys:hi*ys], k.plan.OH*k.plan.OW)
			}
		}
	}
	if threads <= 1 {
		work(k.ws.one[0])
	} else {
		var wg sync.WaitGroup
		for t := 0; t < threads; t++ {
			wg.Add(1)
			go func(ws *kernels.Workspace) {
				defer wg.Done()
				work(ws)
			}(k.ws.one[t])
		}
		wg.Wait()
	}
	forRanges(len(k.dwp), 16, len(k.parts), k.ws.n(), func(lo, hi int) {
		d := k.dwp[lo:hi]
		copy(d, k.parts[0][lo:hi])
		for _, p := range k.parts[1:] {
			for i, v := range p[lo:hi] {
				d[i] += v
			}
		}
	})
	k.plan.Unpack(dw, k.dwp)
}

// rowSums writes sums[r] = Σ over p of dy[r·hw+p] for every row r of dy,
// each summed in pixel order by a plain float32 chain: bit for bit what
// summing one row at a time gives; four rows run at once so that their four
// dependency chains overlap in the CPU.
func rowSums(sums, dy []float32, hw int) {
	r := 0
	for ; r+4 <= len(sums); r += 4 {
		r0 := dy[r*hw : (r+1)*hw]
		r1 := dy[(r+1)*hw : (r+2)*hw]
		r2 := dy[(r+2)*hw : (r+3)*hw]
		r3 := dy[(r+3)*hw : (r+4)*hw]
		r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
		var s0, s1, s2, s3 float32
		for p, v := range r0 {
			s0 += v
			s1 += r1[p]
			s2 += r2[p]
			s3 += r3[p]
		}
		sums[r], sums[r+1], sums[r+2], sums[r+3] = s0, s1, s2, s3
	}
	for ; r < len(sums); r++ {
		var s float32
		for _, v := range dy[r*hw : (r+1)*hw] {
			s += v
		}
		sums[r] = s
	}
}

func (op kconvOp) DiffWRT(inputs int) []bool {
	d := []bool{op.k.needDx, true, true, true}[:inputs]
	if op.k.resid && op.k.residTo != nil {
		d[inputs-1] = false // r's gradient goes to residTo's gradX
	}
	return d
}

// SymDiff returns the gradient nodes of x (nil when x is the graph input),
// W and B, each a kconvOp reading the forward's inputs and dy.
func (op kconvOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.kind != kconvForward {
		return nil, fmt.Errorf("%v is not differentiable", op)
	}
	k := op.k
	x, w := inputs[0], inputs[1]
	r := make(G.Nodes, len(inputs))
	var err error
	if k.resid && k.residTo != nil {
		// residTo reads r as x, so it precedes this conv and autodiff
		// reaches it later: its gradX has not been built yet.
		if k.residTo.gradXSet || k.residTo.dres != nil {
			return nil, fmt.Errorf("%v: the gradient of its residual input comes too late for %s", op, k.residTo.name)
		}
		k.residTo.dres = grad
	}
	if k.needDx {
		in := G.Nodes{x, w, grad}
		if k.dres != nil {
			in = append(in, k.dres)
		}
		if r[0], err = G.ApplyOp(kconvOp{k, kconvGradX}, in...); err != nil {
			return nil, err
		}
		k.gradXSet = true
	}
	if r[1], err = G.ApplyOp(kconvOp{k, kconvGradW}, x, w, grad); err != nil {
		return nil, err
	}
	if k.bias {
		// gradB reads gradW's output only to run after it: gradW leaves
		// the row sums of dy that dB adds up in k.sums.
		if r[2], err = G.ApplyOp(kconvOp{k, kconvGradB}, grad, r[1]); err != nil {
			return nil, err
		}
	}
	if k.resid && k.residTo == nil {
		r[len(r)-1] = grad // ∂y/∂r is the identity
	}
	return r, nil
}

func (op kconvOp) ReturnsPtr() bool     { return true }
func (op kconvOp) CallsExtern() bool    { return false }
func (op kconvOp) OverwritesInput() int { return -1 }

// WriteHash names the conv and the kind: gorgonia merges nodes with equal
// hashes and children, and two convs must never merge.
func (op kconvOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op kconvOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}

func (op kconvOp) String() string {
	s := kconvKindName[op.kind] + "{" + op.k.name
	if op.k.reluIn {
		s += ", reluIn"
	}
	if op.k.resid {
		s += ", +r"
	}
	return s + "}"
}
