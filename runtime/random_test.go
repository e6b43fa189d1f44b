package runtime

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestConvRandomGeometries compares Conv with the naive loop on random 1-D,
// 2-D and 3-D geometries: groups, strides, dilations, asymmetric pads, the
// auto_pad modes, with and without bias, W constant (pruned) or fed.
func TestConvRandomGeometries(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(10, 11))
	n := 300
	if testing.Short() {
		n = 60
	}
	for i := 0; i < n; i++ {
		s := 1 + r.IntN(3)
		group := 1 + r.IntN(3)
		cg, og := 1+r.IntN(3), 1+r.IntN(3)
		xs := []int{1 + r.IntN(3), cg * group}
		ws := []int{og * group, cg}
		strides, dil, pads := make([]int, s), make([]int, s), make([]int, 2*s)
		for d := 0; d < s; d++ {
			k := 1 + r.IntN(3)
			dil[d] = 1 + r.IntN(2)
			strides[d] = 1 + r.IntN(3)
			pads[d], pads[d+s] = r.IntN(3), r.IntN(3)
			span := (k-1)*dil[d] + 1
			xs = append(xs, max(span, 1+r.IntN(7)))
			ws = append(ws, k)
		}
		autoPad := []string{"NOTSET", "NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"}[r.IntN(5)]
		x, w := randF32(r, xs...), randF32(r, ws...)
		for j := range w.F32 { // some all-zero taps for pruning
			if r.IntN(4) == 0 {
				w.F32[j] = 0
			}
		}
		var b *graph.Tensor
		if r.IntN(2) == 0 {
			b = randF32(r, ws[0])
		}
		refPads := pads
		attrs := []graph.Attr{attrInts("strides", i64s(strides)...), attrInts("dilations", i64s(dil)...),
			attrInt("group", int64(group)), attrStr("auto_pad", autoPad)}
		switch autoPad {
		case "NOTSET":
			attrs = append(attrs, attrInts("pads", i64s(pads)...))
		case "VALID":
			refPads = make([]int, 2*s)
		default:
			refPads = make([]int, 2*s)
			for d := 0; d < s; d++ {
				in, st := xs[2+d], strides[d]
				out := (in + st - 1) / st
				total := max(0, (out-1)*st+(ws[2+d]-1)*dil[d]+1-in)
				refPads[d] = total / 2
				if autoPad == "SAME_LOWER" {
					refPads[d] = total - total/2
				}
				refPads[d+s] = total - refPads[d]
			}
		}
		want := naiveConv(x, w, b, strides, dil, refPads, group)
		name := fmt.Sprintf("case %d: x%v w%v strides%v dil%v pads%v group %d %s bias %v", i, xs, ws, strides, dil, pads, group, autoPad, b != nil)
		wa := in(w)
		if r.IntN(2) == 0 {
			wa = cst(w)
		}
		args := []arg{in(x), wa}
		if b != nil {
			args = append(args, in(b))
		}
		got, err := runOp("Conv", 11, attrs, args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := testenv.CloseTensor(got, want, conformanceAtol, conformanceRtol); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
}

// naiveBroadcast is numpy broadcasting by explicit index arithmetic.
func naiveBroadcast(a, b *graph.Tensor, f func(x, y float32) float32) *graph.Tensor {
	r := max(len(a.Shape), len(b.Shape))
	pad := func(s []int) []int {
		p := make([]int, r)
		for i := range p {
			p[i] = 1
		}
		copy(p[r-len(s):], s)
		return p
	}
	as, bs := pad(a.Shape), pad(b.Shape)
	os := make([]int, r)
	for i := range os {
		os[i] = max(as[i], bs[i])
	}
	out := graph.NewFloat32(os, nil)
	idx := make([]int, r)
	for o := range out.F32 {
		rem := o
		for d := r - 1; d >= 0; d-- {
			idx[d] = rem % os[d]
			rem /= os[d]
		}
		ia, ib := 0, 0
		for d := 0; d < r; d++ {
			ia = ia*as[d] + idx[d]%as[d]
			ib = ib*bs[d] + idx[d]%bs[d]
		}
		out.F32[o] = f(a.F32[ia], b.F32[ib])
	}
	return out
}

// TestBroadcastRandom compares Add/Sub/Mul/Div with explicit index
// arithmetic on random compatible shapes of ranks 0..5.
func TestBroadcastRandom(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(12, 13))
	ops := map[string]func(x, y float32) float32{
		"Add": func(x, y float32) float32 { return x + y },
		"Sub": func(x, y float32) float32 { return x - y },
		"Mul": func(x, y float32) float32 { return x * y },
		"Div": func(x, y float32) float32 { return x / y },
	}
	names := []string{"Add", "Sub", "Mul", "Div"}
	for i := 0; i < 300; i++ {
		rank := r.IntN(6)
		full := make([]int, rank)
		for d := range full {
			full[d] = 1 + r.IntN(4)
		}
		shape := func() []int {
			s := append([]int{}, full[r.IntN(rank+1):]...)
			for d := range s {
				if r.IntN(3) == 0 {
					s[d] = 1
				}
			}
			return s
		}
		as, bs := shape(), shape()
		a, b := randF32(r, as...), randF32(r, bs...)
		op := names[r.IntN(4)]
		want := naiveBroadcast(a, b, ops[op])
		got, err := runOp(op, 13, nil, in(a), in(b))
		if err != nil {
			t.Fatalf("%s %v %v: %v", op, as, bs, err)
		}
		if err := testenv.CloseTensor(got, want, 0, 0); err != nil {
			t.Fatalf("%s %v %v: %v", op, as, bs, err)
		}
	}
}
