package runtime

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// static is what Compile knows about a value before any run: its dtype and
// shape (when they can be inferred), its data when it is a constant, and,
// for a 1-D int64 vector computed from shapes with symbolic dims (Shape of a
// [N,C,H,W] activation, a Gather or Slice of it), which of its elements are
// known. Fold uses it to turn shape arithmetic into constants.
type static struct {
	dtype graph.DType   // Undefined when unknown
	shape []int         // nil: rank unknown; -1: dim unknown
	val   *graph.Tensor // the data, for a constant
	// elems holds a partly known int64 vector's elements, known[i] telling
	// which are; nil unless shape is [n] with n known.
	elems []int64
	known []bool
}

// inferFn computes the static outputs of a node (one per node output) from
// its static inputs (a zero static for an omitted input). It returns an
// error only for inputs that can never be valid (shapes that do not
// broadcast, a rank the op cannot take): unknown dims stay unknown.
type inferFn func(ins []static) ([]static, error)

// constStatic describes constant data.
func constStatic(t *graph.Tensor) static {
	return static{dtype: t.DType, shape: t.Shape, val: t}
}

// declaredStatic describes a graph input from its declaration.
func declaredStatic(v *graph.Value) static {
	s := static{dtype: v.DType}
	if v.Shape != nil {
		s.shape = append([]int{}, v.Shape...)
	}
	return s
}

// rankKnown reports whether the rank is known.
func (s static) rankKnown() bool { return s.shape != nil }

// dimsKnown reports whether every dim is known.
func (s static) dimsKnown() bool {
	if s.shape == nil {
		return false
	}
	for _, d := range s.shape {
		if d < 0 {
			return false
		}
	}
	return true
}

// vector returns the elements of a 1-D integer static and which are known:
// all of them for a constant, the partly known ones for a shape vector.
func (s static) vector() ([]int64, []bool, bool) {
	switch {
	case s.val != nil && s.val.DType.IsInteger() && len(s.val.Shape) <= 1:
		known := make([]bool, len(s.val.I64))
		for i := range known {
			known[i] = true
		}
		return s.val.I64, known, true
	case s.elems != nil:
		return s.elems, s.known, true
	}
	return nil, nil, false
}

// partialVector returns the static of an int64 vector whose elements are
// partly known; it is a constant when all are.
func partialVector(elems []int64, known []bool, scalar bool) static {
	shape := []int{len(elems)}
	if scalar {
		shape = []int{}
	}
	all := true
	for _, k := range known {
		all = all && k
	}
	if all {
		return constStatic(graph.NewInt64(shape, append([]int64{}, elems...)))
	}
	return static{dtype: graph.Int64, shape: shape, elems: elems, known: known}
}

// constParams returns the data of inputs 1.. (a nil entry for an omitted
// input, after a nil for input 0), or false when a present one is not a
// constant: the op's parameters are then known at run time only.
func (c *nodeCtx) constParams(ins []static) ([]*graph.Tensor, bool) {
	ts := []*graph.Tensor{nil}
	for i, s := range ins[1:] {
		if s.val == nil && c.present(i+1) {
			return nil, false
		}
		ts = append(ts, s.val)
	}
	return ts, true
}

// sameAsInput is the inferFn of elementwise ops with one data input.
func sameAsInput(ins []static) ([]static, error) {
	return []static{{dtype: ins[0].dtype, shape: ins[0].shape}}, nil
}

// broadcastStatic is the numpy broadcast of shapes that may hold unknown
// dims (-1). An unknown dim against 1 or unknown stays unknown; against a
// known d > 1 it must be d (or 1), so the result is d.
func broadcastStatic(a, b []int) ([]int, error) {
	if a == nil || b == nil {
		return nil, nil
	}
	r := max(len(a), len(b))
	out := make([]int, r)
	for i := 0; i < r; i++ {
		da, db := 1, 1
		if j := len(a) - r + i; j >= 0 {
			da = a[j]
		}
		if j := len(b) - r + i; j >= 0 {
			db = b[j]
		}
		switch {
		case da == db:
			out[i] = da
		case da == 1:
			out[i] = db
		case db == 1:
			out[i] = da
		case da < 0:
			out[i] = db
		case db < 0:
			out[i] = da
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast (dim %d: %d vs %d)", a, b, i, da, db)
		}
		if out[i] == 1 && (da < 0 || db < 0) {
			out[i] = -1 // 1 against unknown: unknown
		}
	}
	return out, nil
}

// broadcastInputs is the inferFn of elementwise ops over broadcast inputs
// (Add, Min, Sum...): dtype of the first input, broadcast shape of all.
func broadcastInputs(ins []static) ([]static, error) {
	out := static{dtype: ins[0].dtype, shape: ins[0].shape}
	for _, in := range ins[1:] {
		if out.dtype == graph.Undefined {
			out.dtype = in.dtype
		}
		s, err := broadcastStatic(out.shape, in.shape)
		if err != nil {
			return nil, err
		}
		out.shape = s
	}
	return []static{out}, nil
}
