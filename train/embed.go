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

// The layer classes of a Gated PixelCNN beyond the gate: the class
// conditioning (Embed), channel slices (Slice) and the gate on the two
// halves of one value (Gate.Halves). Each is a gorgonia Op writing an
// owned buffer, with gradient ops in float32 and float64 (gradient checks).

// conds returns the names of the conditioning inputs.
func (l *lowered) conds() []string {
	var names []string
	for _, v := range l.plan.Conds {
		names = append(names, v.Name)
	}
	return names
}

// setLabels copies the batch's values of each conditioning input into the
// buffers the Embed ops read, checking each against the tables it indexes.
func (l *lowered) setLabels(labels [][]int64) error {
	if len(labels) != len(l.labels) {
		return fmt.Errorf("train: %d conditioning inputs given values, the model has %d (%v)", len(labels), len(l.labels), l.conds())
	}
	for k, v := range labels {
		if len(v) != len(l.labels[k]) {
			return fmt.Errorf("train: conditioning input %s: %d values for a batch of %d", l.plan.Conds[k].Name, len(v), len(l.labels[k]))
		}
	}
	for _, ly := range l.plan.Layers {
		if e := ly.Embed; e != nil {
			for _, lb := range labels[e.Cond] {
				if _, err := e.Row(lb); err != nil {
					return fmt.Errorf("train: node %s (Gather) of conditioning input %s: %w", e.Gather.Name, l.plan.Conds[e.Cond].Name, err)
				}
			}
		}
	}
	for k, v := range labels {
		copy(l.labels[k], v)
	}
	return nil
}

// datasetLabels returns the labels of images idx as the values of the one
// conditioning input of l (nil when l has none): the dataset's class.
func (l *lowered) datasetLabels(all []uint8, idx func(j int) int) ([][]int64, error) {
	switch {
	case len(l.labels) == 0:
		return nil, nil
	case len(l.labels) > 1:
		return nil, fmt.Errorf("train: the model has %d conditioning inputs (%v); the dataset gives one label per image", len(l.labels), l.conds())
	case all == nil:
		return nil, fmt.Errorf("train: the model is conditional (input %s) but the images have no labels", l.plan.Conds[0].Name)
	}
	v := make([]int64, len(l.labels[0]))
	for j := range v {
		v[j] = int64(all[idx(j)])
	}
	return [][]int64{v}, nil
}

// lowerEmbed: y = x + T[label] (x (N,C,H,W), T the table (K,C,1,1) or
// (K,C)), one embedOp; the labels are the step's (lowered.labels).
func (l *lowered) lowerEmbed(ly *layers.Layer, x *G.Node) (*G.Node, error) {
	e := ly.Embed
	t, ok := l.nodes[e.TV]
	if !ok {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, fmt.Sprintf("table %s is not an initializer", e.TV.Name)}
	}
	op := &embedOp{name: ly.Node.Name, e: e, labels: &l.labels[e.Cond], y: outBuf{dt: l.dt, shape: x.Shape().Clone()}, threads: l.threads}
	op.dT = outBuf{dt: l.dt, shape: t.Shape().Clone()}
	return G.ApplyOp(op, x, t)
}

// embedOp adds each image's row of the table; its gradient passes dy to x
// and sums dy over positions into the rows of the images' labels.
type embedOp struct {
	name   string
	e      *layers.EmbedSpec
	labels *[]int64 // one per image, set before each run, checked in range
	y, dT  outBuf
	// threads is the step's budget; sums holds the backward's per image
	// and channel sums (N·C), added into dT in image order.
	threads int
	sums    []float64
}

type embedGradOp struct{ *embedOp }

var (
	_ G.SDOp = (*embedOp)(nil)
	_ G.Op   = embedGradOp{}
)

// row returns the table row of label (in range: checked by setLabels).
func (op *embedOp) row(label int64) int {
	if label < 0 {
		label += int64(op.e.K)
	}
	return int(label)
}

func (op *embedOp) Arity() int { return 2 }
func (op *embedOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: op.dT.shape.Dims(), Of: a}, G.TensorType{Dims: 4, Of: a})
}
func (op *embedOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op *embedOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.y.get()
	n, c := op.y.shape[0], op.e.C
	hw := op.y.shape.TotalSize() / (n * c)
	switch y := out.Data().(type) {
	case []float32:
		embedForward(y, vals[0].Data().([]float32), vals[1].Data().([]float32), *op.labels, op, n, c, hw)
	case []float64:
		embedForward(y, vals[0].Data().([]float64), vals[1].Data().([]float64), *op.labels, op, n, c, hw)
	}
	return out, nil
}

func embedForward[T float32 | float64](y, x, t []T, labels []int64, op *embedOp, n, c, hw int) {
	forImages(n, c*hw, op.threads, func(i int) {
		r := op.row(labels[i])
		for ch := range c {
			v := t[r*c+ch]
			ys, xs := y[(i*c+ch)*hw:(i*c+ch+1)*hw], x[(i*c+ch)*hw:(i*c+ch+1)*hw]
			for p, a := range xs {
				ys[p] = a + v
			}
		}
	})
}

func (op *embedOp) DiffWRT(int) []bool { return []bool{true, true} }
func (op *embedOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dT, err := G.ApplyOp(embedGradOp{op}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{grad, dT}, nil
}
func (op *embedOp) ReturnsPtr() bool      { return true }
func (op *embedOp) CallsExtern() bool     { return false }
func (op *embedOp) OverwritesInput() int  { return -1 }
func (op *embedOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *embedOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *embedOp) String() string        { return "Embed{" + op.name + "}" }

func (op embedGradOp) Arity() int { return 1 }
func (op embedGradOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	return hm.NewFnType(G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: op.dT.shape.Dims(), Of: a})
}
func (op embedGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dT.shape.Clone(), nil
}

// Do sums dy over positions into the label rows: each image's sums on
// the thread budget (positions in order), then added into the rows in
// image order, so the result does not depend on threads.
func (op embedGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.dT.get()
	n, c := op.y.shape[0], op.e.C
	hw := op.y.shape.TotalSize() / (n * c)
	switch d := out.Data().(type) {
	case []float32:
		embedBackward(d, vals[0].Data().([]float32), *op.labels, op.embedOp, n, c, hw)
	case []float64:
		embedBackward(d, vals[0].Data().([]float64), *op.labels, op.embedOp, n, c, hw)
	}
	return out, nil
}

func embedBackward[T float32 | float64](dT, dy []T, labels []int64, op *embedOp, n, c, hw int) {
	if len(op.sums) != n*c {
		op.sums = make([]float64, n*c)
	}
	forImages(n, c*hw, op.threads, func(i int) {
		for ch := range c {
			var s float64
			for _, g := range dy[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				s += float64(g)
			}
			op.sums[i*c+ch] = s
		}
	})
	clear(dT)
	for i := range n {
		r := op.row(labels[i])
		for ch := range c {
			dT[r*c+ch] += T(op.sums[i*c+ch])
		}
	}
}
func (op embedGradOp) ReturnsPtr() bool      { return true }
func (op embedGradOp) CallsExtern() bool     { return false }
func (op embedGradOp) OverwritesInput() int  { return -1 }
func (op embedGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op embedGradOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op embedGradOp) String() string        { return "EmbedGrad{" + op.name + "}" }

// lowerSlice: y = x[:, lo:hi], one sliceOp.
func (l *lowered) lowerSlice(ly *layers.Layer, x *G.Node) (*G.Node, error) {
	s := x.Shape().Clone()
	op := &sliceOp{name: ly.Node.Name, lo: ly.Slice[0], hi: ly.Slice[1], cin: s[1]}
	op.dx = outBuf{dt: l.dt, shape: s}
	ys := s.Clone()
	ys[1] = op.hi - op.lo
	op.y = outBuf{dt: l.dt, shape: ys}
	return G.ApplyOp(op, x)
}

// sliceOp copies channels [lo, hi) of x; its gradient writes dy there and
// zeros elsewhere.
type sliceOp struct {
	name        string
	lo, hi, cin int
	y, dx       outBuf
}

type sliceGradOp struct{ *sliceOp }

var (
	_ G.SDOp = (*sliceOp)(nil)
	_ G.Op   = sliceGradOp{}
)

func (op *sliceOp) Arity() int { return 1 }
func (op *sliceOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (op *sliceOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op *sliceOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.y.get()
	switch y := out.Data().(type) {
	case []float32:
		sliceCopy(y, vals[0].Data().([]float32), op, false)
	case []float64:
		sliceCopy(y, vals[0].Data().([]float64), op, false)
	}
	return out, nil
}

// sliceCopy copies the channel range of x into y, or (back) y into that
// range of x, zeroing the rest.
func sliceCopy[T float32 | float64](y, x []T, op *sliceOp, back bool) {
	n := op.y.shape[0]
	c := op.hi - op.lo
	hw := op.y.shape.TotalSize() / (n * c)
	if back {
		clear(x)
	}
	for i := range n {
		ys, xs := y[i*c*hw:(i+1)*c*hw], x[(i*op.cin+op.lo)*hw:(i*op.cin+op.hi)*hw]
		if back {
			copy(xs, ys)
		} else {
			copy(ys, xs)
		}
	}
}

func (op *sliceOp) DiffWRT(int) []bool { return []bool{true} }
func (op *sliceOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(sliceGradOp{op}, grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
func (op *sliceOp) ReturnsPtr() bool      { return true }
func (op *sliceOp) CallsExtern() bool     { return false }
func (op *sliceOp) OverwritesInput() int  { return -1 }
func (op *sliceOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *sliceOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *sliceOp) String() string        { return "Slice{" + op.name + "}" }

func (op sliceGradOp) Arity() int { return 1 }
func (op sliceGradOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (op sliceGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dx.shape.Clone(), nil
}
func (op sliceGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.dx.get()
	switch d := out.Data().(type) {
	case []float32:
		sliceCopy(vals[0].Data().([]float32), d, op.sliceOp, true)
	case []float64:
		sliceCopy(vals[0].Data().([]float64), d, op.sliceOp, true)
	}
	return out, nil
}
func (op sliceGradOp) ReturnsPtr() bool      { return true }
func (op sliceGradOp) CallsExtern() bool     { return false }
func (op sliceGradOp) OverwritesInput() int  { return -1 }
func (op sliceGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op sliceGradOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op sliceGradOp) String() string        { return "SliceGrad{" + op.name + "}" }

// lowerGateHalves: y = tanh(x[:, :c])·σ(x[:, c:]), one halvesOp
// (kernels.Gate per image; the same formula in float64).
func (l *lowered) lowerGateHalves(ly *layers.Layer, x *G.Node) (*G.Node, error) {
	s := x.Shape().Clone()
	if s[1]%2 != 0 {
		return nil, &UnsupportedError{ly.Node.Name, ly.Node.Op, fmt.Sprintf("gate input %v has an odd channel count", s)}
	}
	op := &halvesOp{name: ly.Node.Name, dx: outBuf{dt: l.dt, shape: s}, threads: l.threads}
	ys := s.Clone()
	ys[1] /= 2
	op.y = outBuf{dt: l.dt, shape: ys}
	return G.ApplyOp(op, x)
}

// halvesOp is the gate on the halves of one tensor; its gradient op writes
// both halves of dx (kernels.GateGrad).
type halvesOp struct {
	name    string
	y, dx   outBuf
	threads int // the step's budget, over images
}

type halvesGradOp struct{ *halvesOp }

var (
	_ G.SDOp = (*halvesOp)(nil)
	_ G.Op   = halvesGradOp{}
)

// half returns image i's a and b halves of x and its slice of y.
func half[T any](x, y []T, i, m int) (a, b, yi []T) {
	return x[2*i*m : (2*i+1)*m], x[(2*i+1)*m : (2*i+2)*m], y[i*m : (i+1)*m]
}

func (op *halvesOp) per() (n, m int) { return op.y.shape[0], op.y.shape.TotalSize() / op.y.shape[0] }
func (op *halvesOp) Arity() int      { return 1 }
func (op *halvesOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}
func (op *halvesOp) InferShape(...G.DimSizer) (tensor.Shape, error) { return op.y.shape.Clone(), nil }
func (op *halvesOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.y.get()
	n, m := op.per()
	switch y := out.Data().(type) {
	case []float32:
		x := vals[0].Data().([]float32)
		forImages(n, m, op.threads, func(i int) {
			a, b, yi := half(x, y, i, m)
			kernels.Gate(yi, a, b)
		})
	case []float64:
		x := vals[0].Data().([]float64)
		forImages(n, m, op.threads, func(i int) {
			a, b, yi := half(x, y, i, m)
			for j := range yi {
				yi[j] = math.Tanh(a[j]) * kernels.Sigmoid64(b[j])
			}
		})
	}
	return out, nil
}
func (op *halvesOp) DiffWRT(int) []bool { return []bool{true} }
func (op *halvesOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	dx, err := G.ApplyOp(halvesGradOp{op}, inputs[0], grad)
	if err != nil {
		return nil, err
	}
	return G.Nodes{dx}, nil
}
func (op *halvesOp) ReturnsPtr() bool      { return true }
func (op *halvesOp) CallsExtern() bool     { return false }
func (op *halvesOp) OverwritesInput() int  { return -1 }
func (op *halvesOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op *halvesOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op *halvesOp) String() string        { return "GateHalves{" + op.name + "}" }

func (op halvesGradOp) Arity() int { return 2 }
func (op halvesGradOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}
func (op halvesGradOp) InferShape(...G.DimSizer) (tensor.Shape, error) {
	return op.dx.shape.Clone(), nil
}
func (op halvesGradOp) Do(vals ...G.Value) (G.Value, error) {
	out := op.dx.get()
	n, m := op.per()
	switch d := out.Data().(type) {
	case []float32:
		x, dy := vals[0].Data().([]float32), vals[1].Data().([]float32)
		forImages(n, m, op.threads, func(i int) {
			a, b, dyi := half(x, dy, i, m)
			da, db, _ := half(d, dy, i, m)
			kernels.GateGrad(da, db, dyi, a, b)
		})
	case []float64:
		x, dy := vals[0].Data().([]float64), vals[1].Data().([]float64)
		forImages(n, m, op.threads, func(i int) {
			a, b, dyi := half(x, dy, i, m)
			da, db, _ := half(d, dy, i, m)
			for j, g := range dyi {
				t, s := math.Tanh(a[j]), kernels.Sigmoid64(b[j])
				da[j] = g * s * (1 - t*t)
				db[j] = g * t * s * (1 - s)
			}
		})
	}
	return out, nil
}
func (op halvesGradOp) ReturnsPtr() bool      { return true }
func (op halvesGradOp) CallsExtern() bool     { return false }
func (op halvesGradOp) OverwritesInput() int  { return -1 }
func (op halvesGradOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op halvesGradOp) Hashcode() uint32      { return hashOf(op.String()) }
func (op halvesGradOp) String() string        { return "GateHalvesGrad{" + op.name + "}" }

func hashOf(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}
