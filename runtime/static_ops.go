package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Static shape inference of the ops whose kernels live in files written
// before Fold (the newer ops keep theirs beside their kernel). Each returns
// unknown (nil shape, -1 dims) where the kernel would need run-time data.

// passThrough is the inferFn of Identity and Dropout: the value itself,
// including the known elements of a shape vector.
func passThrough(ins []static) ([]static, error) {
	s := ins[0]
	s.val = nil
	return []static{s}, nil
}

// dimsOf turns a partly known vector into dims (-1 where unknown).
func dimsOf(elems []int64, known []bool) []int {
	d := make([]int, len(elems))
	for i, e := range elems {
		d[i] = -1
		if known[i] {
			d[i] = int(e)
		}
	}
	return d
}

// inferReshape resolves a Reshape whose spec (shape input or attribute) is
// at least partly known.
func inferReshape(attrShape []int64, allowZero bool) inferFn {
	return func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		spec, known := attrShape, []bool(nil)
		if spec == nil {
			var ok bool
			if spec, known, ok = ins[1].vector(); !ok {
				return []static{out}, nil
			}
		}
		if known == nil {
			known = make([]bool, len(spec))
			for i := range known {
				known[i] = true
			}
		}
		if x.dimsKnown() && allKnown(known) {
			shape, err := reshapeDims(x.shape, spec, allowZero)
			if err != nil {
				return nil, err
			}
			out.shape = shape
		} else {
			out.shape = make([]int, len(spec))
			for i, d := range spec {
				switch {
				case !known[i] || d < 0:
					out.shape[i] = -1
				case d == 0 && !allowZero:
					out.shape[i] = -1
					if x.shape != nil && i < len(x.shape) {
						out.shape[i] = x.shape[i]
					}
				default:
					out.shape[i] = int(d)
				}
			}
		}
		// Reshape of a shape vector (torch writes Reshape(Concat(...), [-1, 2])).
		if elems, ek, ok := x.vector(); ok && x.val == nil && len(out.shape) <= 1 {
			return []static{partialVector(elems, ek, len(out.shape) == 0)}, nil
		}
		return []static{out}, nil
	}
}

func allKnown(k []bool) bool {
	for _, b := range k {
		if !b {
			return false
		}
	}
	return true
}

// inferAxes returns the static of Squeeze (squeeze true) or Unsqueeze with
// axes from the attribute, or from a constant input when fromInput.
func inferAxes(squeeze bool, attrAxes []int64, fromInput bool) inferFn {
	return func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		axes := attrAxes
		if fromInput {
			if ins[1].val == nil {
				return []static{out}, nil
			}
			v, err := intsOf(ins[1].val, "input axes")
			if err != nil {
				return nil, err
			}
			axes = v
		}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		var shape []int
		if squeeze {
			drop := make([]bool, len(x.shape))
			for _, a := range axes {
				i, err := normAxis(a, len(x.shape), false)
				if err != nil {
					return nil, err
				}
				if x.shape[i] > 1 {
					return nil, fmt.Errorf("cannot squeeze axis %d of shape %v", a, x.shape)
				}
				drop[i] = true
			}
			if axes == nil {
				for i, d := range x.shape {
					if d < 0 {
						return []static{out}, nil // which dims are 1 is unknown
					}
					drop[i] = d == 1
				}
			}
			shape = []int{}
			for i, d := range x.shape {
				if !drop[i] {
					shape = append(shape, d)
				}
			}
		} else {
			r := len(x.shape) + len(axes)
			ones := make([]bool, r)
			for _, a := range axes {
				i, err := normAxis(a, r, false)
				if err != nil {
					return nil, err
				}
				ones[i] = true
			}
			shape = make([]int, 0, r)
			j := 0
			for i := 0; i < r; i++ {
				if ones[i] {
					shape = append(shape, 1)
				} else if j < len(x.shape) {
					shape = append(shape, x.shape[j])
					j++
				}
			}
		}
		out.shape = shape
		if elems, known, ok := x.vector(); ok && x.val == nil && len(shape) <= 1 && len(elems) == graph.NumElements(shape) {
			return []static{partialVector(elems, known, len(shape) == 0)}, nil
		}
		return []static{out}, nil
	}
}

// inferFlatten: (prod(d[:axis]), prod(d[axis:])), unknown when a factor is.
func inferFlatten(axisAttr int64) inferFn {
	return func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		axis, err := normAxis(axisAttr, len(x.shape), true)
		if err != nil {
			return nil, err
		}
		out.shape = []int{knownProduct(x.shape[:axis]), knownProduct(x.shape[axis:])}
		return []static{out}, nil
	}
}

// knownProduct is the product of dims, or -1 when one is unknown.
func knownProduct(dims []int) int {
	p := 1
	for _, d := range dims {
		if d < 0 {
			return -1
		}
		p *= d
	}
	return p
}

// inferTranspose permutes the dims (perm nil: reversed).
func inferTranspose(perm []int64) inferFn {
	return func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: x.dtype}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		r := len(x.shape)
		if perm != nil && len(perm) != r {
			return nil, fmt.Errorf("perm %v has %d entries, input has rank %d", perm, len(perm), r)
		}
		out.shape = make([]int, r)
		for i := range out.shape {
			p := r - 1 - i
			if perm != nil {
				if perm[i] < 0 || perm[i] >= int64(r) {
					return nil, fmt.Errorf("perm %v is not a permutation of 0..%d", perm, r-1)
				}
				p = int(perm[i])
			}
			out.shape[i] = x.shape[p]
		}
		return []static{out}, nil
	}
}

// inferConcat sums the axis dims; 1-D vectors concatenate their known
// elements (torch builds Pad's pads and Reshape's shapes this way).
func inferConcat(axisAttr int64) inferFn {
	return func(ins []static) ([]static, error) {
		out := static{dtype: ins[0].dtype}
		var elems []int64
		var known []bool
		vectors := true
		for _, in := range ins {
			e, k, ok := in.vector()
			if !ok || len(in.shape) != 1 {
				vectors = false
				break
			}
			elems, known = append(elems, e...), append(known, k...)
		}
		if vectors {
			return []static{partialVector(elems, known, false)}, nil
		}
		for _, in := range ins {
			if !in.rankKnown() {
				return []static{out}, nil
			}
		}
		r := len(ins[0].shape)
		axis, err := normAxis(axisAttr, r, false)
		if err != nil {
			return nil, err
		}
		out.shape = append([]int{}, ins[0].shape...)
		for i, in := range ins[1:] {
			if len(in.shape) != r {
				return nil, fmt.Errorf("input %d has rank %d, input 0 has %d", i+1, len(in.shape), r)
			}
			for d, n := range in.shape {
				switch {
				case d == axis:
					if n < 0 || out.shape[d] < 0 {
						out.shape[d] = -1
					} else {
						out.shape[d] += n
					}
				case out.shape[d] < 0:
					out.shape[d] = n
				case n >= 0 && n != out.shape[d]:
					return nil, fmt.Errorf("input %d has shape %v, input 0 has %v (dim %d differs)", i+1, in.shape, ins[0].shape, d)
				}
			}
		}
		return []static{out}, nil
	}
}

// inferGemm: (M, N) from op(A) and op(B).
func inferGemm(transA, transB bool) inferFn {
	return func(ins []static) ([]static, error) {
		a, b := ins[0], ins[1]
		out := static{dtype: a.dtype}
		if len(a.shape) == 2 && len(b.shape) == 2 {
			m, n := a.shape[0], b.shape[1]
			if transA {
				m = a.shape[1]
			}
			if transB {
				n = b.shape[0]
			}
			out.shape = []int{m, n}
		}
		return []static{out}, nil
	}
}

// inferMatMul: numpy matmul shapes.
func inferMatMul(ins []static) ([]static, error) {
	a, b := ins[0], ins[1]
	out := static{dtype: a.dtype}
	if len(a.shape) == 0 || len(b.shape) == 0 {
		return []static{out}, nil
	}
	as, bs := a.shape, b.shape
	if len(as) == 1 {
		as = []int{1, as[0]}
	}
	if len(bs) == 1 {
		bs = []int{bs[0], 1}
	}
	batch, err := broadcastStatic(as[:len(as)-2], bs[:len(bs)-2])
	if err != nil {
		return nil, fmt.Errorf("batch dims: %v", err)
	}
	shape := append(append([]int{}, batch...), as[len(as)-2], bs[len(bs)-1])
	if len(a.shape) == 1 {
		shape = append(shape[:len(shape)-2], shape[len(shape)-1])
	}
	if len(b.shape) == 1 {
		shape = shape[:len(shape)-1]
	}
	out.shape = shape
	return []static{out}, nil
}

// inferReduce is the shape of a reduction over one axis (ArgMax).
func inferReduce(axisAttr int64, keep bool, dt graph.DType) inferFn {
	return func(ins []static) ([]static, error) {
		x := ins[0]
		out := static{dtype: dt}
		if !x.rankKnown() {
			return []static{out}, nil
		}
		axis, err := normAxis(axisAttr, len(x.shape), false)
		if err != nil {
			return nil, err
		}
		out.shape = []int{}
		for i, d := range x.shape {
			switch {
			case i != axis:
				out.shape = append(out.shape, d)
			case keep:
				out.shape = append(out.shape, 1)
			}
		}
		return []static{out}, nil
	}
}
