package sample

import (
	"fmt"

	"github.com/pixelgraph/pixelgraph/graph"
)

// foldConsts returns the data of every value that does not depend on a
// graph input: the initializers, and the outputs of Constant nodes and of
// Identity/Mul/Add/Sub/Div/Reshape/Unsqueeze/Squeeze nodes whose inputs are
// all constant (a mask applied at run time, Mul(W, M), folds to the masked
// weight). Nodes it cannot fold are left to the caller.
func foldConsts(g *graph.Graph) map[*graph.Value]*graph.Tensor {
	c := map[*graph.Value]*graph.Tensor{}
	for _, v := range g.Inits {
		if v.Const != nil {
			c[v] = v.Const
		}
	}
	for _, n := range g.Nodes {
		if len(n.Outputs) != 1 || n.Outputs[0] == nil {
			continue
		}
		var ins []*graph.Tensor
		ok := true
		for _, in := range n.Inputs {
			if in == nil {
				ins = append(ins, nil)
				continue
			}
			t, isConst := c[in]
			if !isConst {
				ok = false
				break
			}
			ins = append(ins, t)
		}
		if !ok {
			continue
		}
		if t := foldNode(n, ins); t != nil {
			c[n.Outputs[0]] = t
		}
	}
	return c
}

// foldNode evaluates one node on constant inputs, or returns nil.
func foldNode(n *graph.Node, ins []*graph.Tensor) *graph.Tensor {
	switch n.Op {
	case "Constant":
		if a, ok := n.Attr("value"); ok && a.Type == graph.AttrTensor && a.T != nil {
			return a.T
		}
	case "Identity":
		if len(ins) == 1 {
			return ins[0]
		}
	case "Mul", "Add", "Sub", "Div":
		if len(ins) == 2 && ins[0] != nil && ins[1] != nil &&
			ins[0].DType == graph.Float32 && ins[1].DType == graph.Float32 {
			t, err := broadcastBinary(n.Op, ins[0], ins[1])
			if err == nil {
				return t
			}
		}
	case "Reshape", "Unsqueeze", "Squeeze":
		if len(ins) >= 1 && ins[0] != nil && ins[0].DType == graph.Float32 {
			if shape := foldShape(n, ins); shape != nil {
				return graph.NewFloat32(shape, ins[0].F32)
			}
		}
	}
	return nil
}

// foldShape computes the output shape of a Reshape/Unsqueeze/Squeeze with
// constant shape or axes, or returns nil.
func foldShape(n *graph.Node, ins []*graph.Tensor) []int {
	in := ins[0].Shape
	var arg []int64
	if len(ins) > 1 && ins[1] != nil && ins[1].DType.IsInteger() {
		arg = ins[1].I64
	} else {
		arg = n.IntsAttr("axes")
	}
	switch n.Op {
	case "Reshape":
		if arg == nil {
			return nil
		}
		out := make([]int, len(arg))
		infer, known := -1, 1
		for i, d := range arg {
			switch {
			case d == 0 && i < len(in):
				out[i] = in[i]
			case d == -1 && infer < 0:
				infer = i
				continue
			case d > 0:
				out[i] = int(d)
			default:
				return nil
			}
			known *= out[i]
		}
		if infer >= 0 {
			if known == 0 || graph.NumElements(in)%known != 0 {
				return nil
			}
			out[infer] = graph.NumElements(in) / known
		}
		if graph.NumElements(out) != graph.NumElements(in) {
			return nil
		}
		return out
	case "Unsqueeze":
		r := len(in) + len(arg)
		ones := map[int]bool{}
		for _, a := range arg {
			ones[(int(a)+r)%r] = true
		}
		var out []int
		j := 0
		for i := 0; i < r; i++ {
			if ones[i] {
				out = append(out, 1)
			} else if j < len(in) {
				out = append(out, in[j])
				j++
			}
		}
		return out
	case "Squeeze":
		drop := map[int]bool{}
		for _, a := range arg {
			drop[(int(a)+len(in))%len(in)] = true
		}
		out := []int{}
		for i, d := range in {
			if (len(arg) == 0 && d == 1) || drop[i] {
				continue
			}
			out = append(out, d)
		}
		return out
	}
	return nil
}

// broadcastBinary applies op elementwise with numpy broadcasting.
func broadcastBinary(op string, a, b *graph.Tensor) (*graph.Tensor, error) {
	r := max(len(a.Shape), len(b.Shape))
	pa, pb := padShape(a.Shape, r), padShape(b.Shape, r)
	out := make([]int, r)
	for i := range out {
		switch {
		case pa[i] == pb[i] || pb[i] == 1:
			out[i] = pa[i]
		case pa[i] == 1:
			out[i] = pb[i]
		default:
			return nil, fmt.Errorf("shapes %v and %v do not broadcast", a.Shape, b.Shape)
		}
	}
	sa, sb := bstrides(pa, out), bstrides(pb, out)
	t := graph.NewFloat32(out, nil)
	idx := make([]int, r)
	for k := range t.F32 {
		ia, ib := 0, 0
		for d := range idx {
			ia += idx[d] * sa[d]
			ib += idx[d] * sb[d]
		}
		x, y := a.F32[ia], b.F32[ib]
		switch op {
		case "Mul":
			t.F32[k] = x * y
		case "Add":
			t.F32[k] = x + y
		case "Sub":
			t.F32[k] = x - y
		case "Div":
			t.F32[k] = x / y
		}
		for d := r - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < out[d] {
				break
			}
			idx[d] = 0
		}
	}
	return t, nil
}

// padShape left-pads s with 1s to rank r.
func padShape(s []int, r int) []int {
	p := make([]int, r)
	for i := range p {
		p[i] = 1
	}
	copy(p[r-len(s):], s)
	return p
}

// bstrides returns the row-major strides of shape s (already padded to the
// rank of out), with 0 for broadcast dimensions.
func bstrides(s, out []int) []int {
	st := make([]int, len(s))
	acc := 1
	for d := len(s) - 1; d >= 0; d-- {
		if s[d] == 1 && out[d] != 1 {
			st[d] = 0
		} else {
			st[d] = acc
		}
		acc *= s[d]
	}
	return st
}
