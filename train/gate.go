package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	"github.com/pixelgraph/pixelgraph/internal/kernels"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// lowerGate: y = tanh(a)·σ(b), one gateOp (kernels.Gate in float32; the
// same formula in float64 for gradient checks).
func (l *lowered) lowerGate(ly *layers.Layer, a, b *G.Node) (*G.Node, error) {
	if !a.Shape().Eq(b.Shape()) {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, fmt.Sprintf("gate halves %v and %v differ", a.Shape(), b.Shape())}
	}
	op := &gateOp{name: ly.Node.Name, y: outBuf{dt: l.dt, shape: a.Shape().Clone()}, threads: l.threads}
	op.da = outBuf{dt: l.dt, shape: op.y.shape.Clone()}
	op.db = outBuf{dt: l.dt, shape: op.y.shape.Clone()}
	return G.ApplyOp(op, a, b)
}

// gateOp is the gated activation y = tanh(a)·σ(b) of two tensors of one
// shape; its gradient ops write da = dy·σ(b)·(1 − tanh²(a)) and
// db = dy·tanh(a)·σ(b)·(1 − σ(b)) (kernels.GateGrad).
type gateOp struct {
	name      string
	y, da, db outBuf
	threads   int // the step's budget, over images
}

// images splits the op's elements by image over its thread budget; the
// kernels compute each element alone (their SIMD loops bit for bit as the
// Go formulas), so any split gives the same values.
func (op *gateOp) images(f func(lo, hi int)) {
	n := op.y.shape[0]
	m := op.y.shape.TotalSize() / n
	forImages(n, m, op.threads, func(i int) { f(i*m, (i+1)*m) })
}

// gateGradOp is one half of a gateOp's gradient: (a, b, dy) → da or db.
type gateGradOp struct {
	*gateOp
	wrtB bool
}

var (
	_ G.SDOp = (*gateOp)(nil)
	_ G.Op   = gateGradOp{}
)

func (op *gateOp) Arity() int { return 2 }
func (op *gateOp) Type() hm.Type {
	t := G.TensorType{Dims: len(op.y.shape), Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}
func (op *gateOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op *gateOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.y.get()
	switch y := out.Data().(type) {
	case []float32:
		a, b := vals[0].Data().([]float32), vals[1].Data().([]float32)
		op.images(func(lo, hi int) { kernels.Gate(y[lo:hi], a[lo:hi], b[lo:hi]) })
	case []float64:
		a, b := vals[0].Data().([]float64), vals[1].Data().([]float64)
		for i := range y {
			y[i] = math.Tanh(a[i]) * kernels.Sigmoid64(b[i])
		}
	}
	return out, nil
}
func (op *gateOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *gateOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	da, err := G.ApplyOp(gateGradOp{op, false}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	db, err := G.ApplyOp(gateGradOp{op, true}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{da, db}, nil
}
func (op *gateOp) ReturnsPtr() bool      { return true }
func (op *gateOp) CallsExtern() bool     { return false }
func (op *gateOp) OverwritesInput() int  { return -1 }
func (op *gateOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *gateOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *gateOp) String() string { return "Gate{" + op.name + "}" }

func (op gateGradOp) buf() *outBuf {
	if op.wrtB {
		return &op.db
	}
	return &op.da
}
func (op gateGradOp) Arity() int { return 3 }
func (op gateGradOp) Type() hm.Type {
	t := G.TensorType{Dims: len(op.y.shape), Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t, t)
}
func (op gateGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op gateGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.buf().get()
	switch d := out.Data().(type) {
	case []float32:
		a, b, dy := vals[0].Data().([]float32), vals[1].Data().([]float32), vals[2].Data().([]float32)
		op.images(func(lo, hi int) {
			if op.wrtB {
				kernels.GateGrad(nil, d[lo:hi], dy[lo:hi], a[lo:hi], b[lo:hi])
			} else {
				kernels.GateGrad(d[lo:hi], nil, dy[lo:hi], a[lo:hi], b[lo:hi])
			}
		})
	case []float64:
		a, b, dy := vals[0].Data().([]float64), vals[1].Data().([]float64), vals[2].Data().([]float64)
		for i, g := range dy {
			t, s := math.Tanh(a[i]), kernels.Sigmoid64(b[i])
			if op.wrtB {
				d[i] = g * t * s * (1 - s)
			} else {
				d[i] = g * s * (1 - t*t)
			}
		}
	}
	return out, nil
}
func (op gateGradOp) ReturnsPtr() bool      { return true }
func (op gateGradOp) CallsExtern() bool     { return false }
func (op gateGradOp) OverwritesInput() int  { return -1 }
func (op gateGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op gateGradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op gateGradOp) String() string {
	if op.wrtB {
		return "GateGradB{" + op.name + "}"
	}
	return "GateGradA{" + op.name + "}"
}
