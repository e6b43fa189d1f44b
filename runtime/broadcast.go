package runtime

import "github.com/pixelgraph/pixelgraph/graph"

// broadcastShapes returns the numpy broadcast of shapes a and b: aligned at
// the right, each pair of dims equal or one of them 1.
func broadcastShapes(a, b []int) ([]int, error) {
	// broadcastStatic reads nil as "rank unknown"; a scalar's shape is empty.
	return broadcastStatic(append([]int{}, a...), append([]int{}, b...))
}

// broadcastStrides returns, for a tensor of shape s broadcast to out, the
// element stride of each output dim (0 along broadcast dims).
func broadcastStrides(s, out []int) []int {
	st := make([]int, len(out))
	acc := 1
	for i := len(out) - 1; i >= 0; i-- {
		j := len(s) - len(out) + i
		if j < 0 {
			break
		}
		if s[j] != 1 {
			st[i] = acc
		}
		acc *= s[j]
	}
	return st
}

// broadcast2 computes out[i] = f(a[ia], b[ib]) over the broadcast shape os
// of as and bs, into dst when it is not nil (it must have the output's
// length; every element is written).
func broadcast2[T any](dst, a, b []T, as, bs, os []int, f func(x, y T) T) []T {
	n := graph.NumElements(os)
	out := dst
	if out == nil {
		out = make([]T, n)
	}
	if n == 0 {
		return out
	}
	switch {
	case len(a) == n && len(b) == n:
		for i := range out {
			out[i] = f(a[i], b[i])
		}
		return out
	case len(a) == n && len(b) == 1:
		y := b[0]
		for i := range out {
			out[i] = f(a[i], y)
		}
		return out
	case len(a) == 1 && len(b) == n:
		x := a[0]
		for i := range out {
			out[i] = f(x, b[i])
		}
		return out
	}
	sa, sb := broadcastStrides(as, os), broadcastStrides(bs, os)
	r := len(os)
	inner := os[r-1]
	ia, ib := sa[r-1], sb[r-1]
	idx := make([]int, r)
	offA, offB := 0, 0
	for o := 0; o < n; o += inner {
		pa, pb := offA, offB
		for j := 0; j < inner; j++ {
			out[o+j] = f(a[pa], b[pb])
			pa += ia
			pb += ib
		}
		for d := r - 2; d >= 0; d-- {
			idx[d]++
			offA += sa[d]
			offB += sb[d]
			if idx[d] < os[d] {
				break
			}
			offA -= sa[d] * os[d]
			offB -= sb[d] * os[d]
			idx[d] = 0
		}
	}
	return out
}

// expandTo broadcasts src of shape ss to shape os (which must be a broadcast
// of ss).
func expandTo[T any](src []T, ss, os []int) []T {
	var zero [1]T
	return broadcast2(nil, src, zero[:], ss, nil, os, func(x, _ T) T { return x })
}

// canBroadcastTo reports whether shape s broadcasts to shape to without
// changing to (unidirectional broadcasting).
func canBroadcastTo(s, to []int) bool {
	if len(s) > len(to) {
		return false
	}
	for i := range s {
		d, t := s[len(s)-1-i], to[len(to)-1-i]
		if d != t && d != 1 {
			return false
		}
	}
	return true
}
