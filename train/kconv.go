package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"runtime"
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
// is dy, passed on without a node).
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

	wp, dwp   []float32   // packed W and its gradient (O, C·T)
	parts     [][]float32 // dwp of each chunk of images (gradW)
	y, dx, dw outBuf      // outputs of the forward, gradX and gradW ops
	db        outBuf
}

// kconvKind selects what a kconvOp computes.
type kconvKind int

const (
	kconvForward kconvKind = iota // (x, W[, B]) → y
	kconvGradX                    // (x, W, dy) → dx
	kconvGradW                    // (x, W, dy) → dW, dead taps exactly 0
	kconvGradB                    // (dy) → dB
)

var kconvKindName = [...]string{"KConv", "KConvGradX", "KConvGradW", "KConvGradB"}

// kworkspaces is the scratch memory of a lowered graph's kconvs: one
// workspace for calls that parallelise inside kernels, and one per
// goroutine for gradW's chunks.
type kworkspaces struct {
	all kernels.Workspace
	one []*kernels.Workspace
}

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
		return 1
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
		return hm.NewFnType(t4, t1)
	}
	return hm.NewFnType(t4, t4, t4, t4)
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
	k.ws.all.Threads = runtime.GOMAXPROCS(0)
	out := op.buf().get()
	switch op.kind {
	case kconvForward:
		var b []float32
		if k.bias {
			b = f[2]
		}
		y := out.Float32s()
		if k.resid {
			copy(y, f[len(vals)-1])
		}
		k.wp = k.plan.Pack(k.wp, f[1])
		k.plan.Forward(&k.ws.all, y, f[0], k.wp, b, k.n, kernels.Fuse{ReluIn: k.reluIn, Accumulate: k.resid})
	case kconvGradX:
		k.wp = k.plan.Pack(k.wp, f[1])
		k.plan.Backward(&k.ws.all, out.Float32s(), nil, nil, f[2], f[0], k.wp, k.n, k.reluIn)
	case kconvGradW:
		k.gradW(out.Float32s(), f[2], f[0])
	case kconvGradB:
		// dB[o] = Σ over images and pixels of dy[n,o,:,:], dy (N,O,OH,OW)
		db := out.Float32s()
		clear(db)
		hw := k.plan.OH * k.plan.OW
		dy := f[0]
		for i := 0; i < k.n; i++ {
			for o := range db {
				var s float32
				for _, v := range dy[(i*len(db)+o)*hw : (i*len(db)+o+1)*hw] {
					s += v
				}
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
	threads := min(runtime.GOMAXPROCS(0), chunks)
	for len(k.ws.one) < threads {
		k.ws.one = append(k.ws.one, &kernels.Workspace{Threads: 1})
	}
	xs, ys := k.plan.XSize(), k.plan.YSize()
	var next atomic.Int32
	work := func(ws *kernels.Workspace) {
		for c := int(next.Add(1)) - 1; c < chunks; c = int(next.Add(1)) - 1 {
			lo, hi := c*k.n/chunks, (c+1)*k.n/chunks
			k.plan.Backward(ws, nil, k.parts[c], nil, dy[lo*ys:hi*ys], x[lo*xs:hi*xs], k.wp, hi-lo, k.reluIn)
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
	copy(k.dwp, k.parts[0])
	for _, p := range k.parts[1:] {
		for i, v := range p {
			k.dwp[i] += v
		}
	}
	k.plan.Unpack(dw, k.dwp)
}

func (op kconvOp) DiffWRT(inputs int) []bool {
	return []bool{op.k.needDx, true, true, true}[:inputs]
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
	if k.needDx {
		if r[0], err = G.ApplyOp(kconvOp{k, kconvGradX}, x, w, grad); err != nil {
			return nil, err
		}
	}
	if r[1], err = G.ApplyOp(kconvOp{k, kconvGradW}, x, w, grad); err != nil {
		return nil, err
	}
	if k.bias {
		if r[2], err = G.ApplyOp(kconvOp{k, kconvGradB}, grad); err != nil {
			return nil, err
		}
	}
	if k.resid {
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
