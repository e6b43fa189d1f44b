package train

import (
	"fmt"
	"hash"
	"hash/fnv"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// nllOp is the fused loss: the mean over N·H·W pixels of
// logsumexp(z[n,:,y,x]) − z[n,t,y,x] for logits z (N,q,H,W) and one-hot
// targets (N,q,H,W), max-subtracted. Its gradient w.r.t. z is
// (softmax(z) − onehot)·g/(N·H·W) (nllGradOp), g the incoming gradient of
// the scalar. One op instead of gorgonia's eight elementwise and reduction
// nodes, each of which allocates a fresh (N,q,H,W) or (N,H,W) tensor per
// step. Float32 and float64 (gradient checks).
type nllOp struct {
	name string
	dt   tensor.Dtype
	grad outBuf // output of the gradient op, (N,q,H,W)
}

type nllGradOp struct{ *nllOp }

var (
	_ G.SDOp = (*nllOp)(nil)
	_ G.Op   = nllGradOp{}
)

func newNLLOp(name string, dt tensor.Dtype, shape tensor.Shape) *nllOp {
	return &nllOp{name: name, dt: dt, grad: outBuf{dt: dt, shape: shape.Clone()}}
}

func (op *nllOp) Arity() int { return 2 }
func (op *nllOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t4, t4, a)
}
func (op *nllOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return tensor.ScalarShape(), nil }

func (op *nllOp) Do(vals ...G.Value) (G.Value, error) {
	z, oh := vals[0], vals[1]
	s := z.Shape()
	switch zd := z.Data().(type) {
	case []float32:
		return G.NewF32(float32(nllMean(zd, oh.Data().([]float32), s[0], s[1], s[2]*s[3]))), nil
	case []float64:
		return G.NewF64(nllMean(zd, oh.Data().([]float64), s[0], s[1], s[2]*s[3])), nil
	}
	return nil, fmt.Errorf("%v: logits are %T, want float32 or float64", op, z.Data())
}

// nllMean is the mean NLL in nats of logits z (n,q,hw) against onehot.
func nllMean[T float32 | float64](z, oh []T, n, q, hw int) float64 {
	var total float64
	for i := 0; i < n; i++ {
		zi, oi := z[i*q*hw:(i+1)*q*hw], oh[i*q*hw:(i+1)*q*hw]
		for p := 0; p < hw; p++ {
			m := zi[p]
			for c := 1; c < q; c++ {
				m = max(m, zi[c*hw+p])
			}
			var se, picked float64
			for c := 0; c < q; c++ {
				d := float64(zi[c*hw+p] - m)
				se += math.Exp(d)
				picked += d * float64(oi[c*hw+p])
			}
			total += math.Log(se) - picked
		}
	}
	return total / float64(n*hw)
}

func (op *nllOp) DiffWRT(int) []bool { return []bool{true, false} }

func (op *nllOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dz, err := G.ApplyOp(nllGradOp{op}, inputs[0], inputs[1], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dz, nil}, nil
}

func (op *nllOp) ReturnsPtr() bool      { return false }
func (op *nllOp) CallsExtern() bool     { return false }
func (op *nllOp) OverwritesInput() int  { return -1 }
func (op *nllOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *nllOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *nllOp) String() string { return "NLL{" + op.name + "}" }

func (op nllGradOp) Arity() int { return 3 }
func (op nllGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4 := G.TensorType{Dims: 4, Of: a}
	return hm.NewFnType(t4, t4, a, t4)
}
func (op nllGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.grad.shape.Clone(), nil
}

func (op nllGradOp) Do(vals ...G.Value) (G.Value, error) {
	z, oh := vals[0], vals[1]
	g := scalar(vals[2])
	s := z.Shape()
	dz := op.grad.get()
	switch zd := z.Data().(type) {
	case []float32:
		nllGrad(dz.Float32s(), zd, oh.Data().([]float32), s[0], s[1], s[2]*s[3], g)
	case []float64:
		nllGrad(dz.Float64s(), zd, oh.Data().([]float64), s[0], s[1], s[2]*s[3], g)
	default:
		return nil, fmt.Errorf("%v: logits are %T, want float32 or float64", op, z.Data())
	}
	return dz, nil
}

// nllGrad writes dz = (softmax(z) − onehot)·g/(n·hw) along the q levels.
func nllGrad[T float32 | float64](dz, z, oh []T, n, q, hw int, g float64) {
	scale := g / float64(n*hw)
	for i := 0; i < n; i++ {
		zi, oi, di := z[i*q*hw:(i+1)*q*hw], oh[i*q*hw:(i+1)*q*hw], dz[i*q*hw:(i+1)*q*hw]
		for p := 0; p < hw; p++ {
			m := zi[p]
			for c := 1; c < q; c++ {
				m = max(m, zi[c*hw+p])
			}
			var se float64
			for c := 0; c < q; c++ {
				e := math.Exp(float64(zi[c*hw+p] - m))
				di[c*hw+p] = T(e)
				se += e
			}
			inv := 1 / se
			for c := 0; c < q; c++ {
				di[c*hw+p] = T((float64(di[c*hw+p])*inv - float64(oi[c*hw+p])) * scale)
			}
		}
	}
}

func (op nllGradOp) ReturnsPtr() bool      { return true }
func (op nllGradOp) CallsExtern() bool     { return false }
func (op nllGradOp) OverwritesInput() int  { return -1 }
func (op nllGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op nllGradOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op nllGradOp) String() string { return "NLLGrad{" + op.name + "}" }

// addOp is y = a + b for two tensors of one shape, into an owned buffer;
// its gradient passes the incoming one to both inputs unchanged (no node).
type addOp struct {
	name string
	y    outBuf
}

var _ G.SDOp = (*addOp)(nil)

func (op *addOp) Arity() int { return 2 }
func (op *addOp) Type() hm.Type {
	t := G.TensorType{Dims: len(op.y.shape), Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}
func (op *addOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op *addOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.y.get()
	switch y := out.Data().(type) {
	case []float32:
		a, b := vals[0].Data().([]float32), vals[1].Data().([]float32)
		for i := range y {
			y[i] = a[i] + b[i]
		}
	case []float64:
		a, b := vals[0].Data().([]float64), vals[1].Data().([]float64)
		for i := range y {
			y[i] = a[i] + b[i]
		}
	}
	return out, nil
}
func (op *addOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *addOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	return G.Nodes{grad, grad}, nil
}
func (op *addOp) ReturnsPtr() bool      { return true }
func (op *addOp) CallsExtern() bool     { return false }
func (op *addOp) OverwritesInput() int  { return -1 }
func (op *addOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *addOp) Hashcode() uint32 {
	h := fnv.New32a()
	op.WriteHash(h)
	return h.Sum32()
}
func (op *addOp) String() string { return "Add{" + op.name + "}" }
