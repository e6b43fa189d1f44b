package graph

import (
	"fmt"
	"sort"
)

// Offset is a position relative to an output pixel: Dy rows down, Dx columns right.
type Offset struct{ Dy, Dx int }

// Footprint lists, for output out, the input offsets that can influence the
// output pixel at (0,0): the live taps of every Conv on every path, composed.
// It handles Conv (stride 1, any dilation and padding, any zero pattern: a tap
// is live when any weight at it is non-zero), pointwise ops (Relu, Sigmoid,
// Tanh, Identity, ...) and same-shaped Add/Sub/Mul/Div. Other ops make it
// return an error naming the node.
func Footprint(g *Graph, out *Value, in *Value) ([]Offset, error) {
	fp := map[*Value]map[Offset]bool{out: {{0, 0}: true}}
	for i := len(g.Nodes) - 1; i >= 0; i-- {
		n := g.Nodes[i]
		var ys map[Offset]bool
		for _, o := range n.Outputs {
			for off := range fp[o] {
				if ys == nil {
					ys = map[Offset]bool{}
				}
				ys[off] = true
			}
		}
		if ys == nil {
			continue
		}
		add := func(v *Value, off Offset) {
			if v == nil || v.IsConst() {
				return
			}
			if fp[v] == nil {
				fp[v] = map[Offset]bool{}
			}
			fp[v][off] = true
		}
		switch n.Op {
		case "Conv":
			taps, err := liveTaps(n)
			if err != nil {
				return nil, err
			}
			for off := range ys {
				for _, t := range taps {
					add(n.Inputs[0], Offset{off.Dy + t.Dy, off.Dx + t.Dx})
				}
			}
		case "Relu", "Sigmoid", "Tanh", "Identity", "Add", "Sub", "Mul", "Div":
			for _, v := range n.Inputs {
				if v != nil && !v.IsConst() && len(v.Shape) != len(out.Shape) && len(v.Shape) != 0 {
					return nil, fmt.Errorf("node %s (%s): input %s is broadcast; footprint unknown", n.Name, n.Op, v.Name)
				}
				for off := range ys {
					add(v, off)
				}
			}
		default:
			return nil, fmt.Errorf("node %s: op %s has no known spatial footprint", n.Name, n.Op)
		}
	}
	res := make([]Offset, 0, len(fp[in]))
	for off := range fp[in] {
		res = append(res, off)
	}
	sort.Slice(res, func(i, j int) bool {
		if res[i].Dy != res[j].Dy {
			return res[i].Dy < res[j].Dy
		}
		return res[i].Dx < res[j].Dx
	})
	return res, nil
}

// liveTaps returns the input offsets of a stride-1 2-D Conv's taps that hold
// a non-zero weight for some (out, in) channel pair.
func liveTaps(n *Node) ([]Offset, error) {
	if len(n.Inputs) < 2 || !n.Inputs[1].IsConst() || n.Inputs[1].Const.DType != Float32 || len(n.Inputs[1].Const.Shape) != 4 {
		return nil, fmt.Errorf("node %s (Conv): weight is not a float32 4-D initializer", n.Name)
	}
	for _, s := range n.IntsAttr("strides") {
		if s != 1 {
			return nil, fmt.Errorf("node %s (Conv): stride %d; footprint needs stride 1", n.Name, s)
		}
	}
	if ap := n.StringAttr("auto_pad", "NOTSET"); ap != "NOTSET" {
		return nil, fmt.Errorf("node %s (Conv): auto_pad %s; footprint needs explicit pads", n.Name, ap)
	}
	w := n.Inputs[1].Const
	kh, kw := w.Shape[2], w.Shape[3]
	dil := n.IntsAttr("dilations")
	dh, dw := 1, 1
	if len(dil) == 2 {
		dh, dw = int(dil[0]), int(dil[1])
	}
	pads := n.IntsAttr("pads")
	pt, pl := 0, 0
	if len(pads) == 4 {
		pt, pl = int(pads[0]), int(pads[1])
	}
	live := make([]bool, kh*kw)
	for i, x := range w.F32 {
		if x != 0 {
			live[i%(kh*kw)] = true
		}
	}
	var taps []Offset
	for t, ok := range live {
		if ok {
			taps = append(taps, Offset{t/kw*dh - pt, t%kw*dw - pl})
		}
	}
	return taps, nil
}

// ReceptiveField summarizes a footprint: how many input pixels an output
// pixel sees, how far up, left and right, and whether it is causal (every
// offset strictly before (0,0) in raster order).
type ReceptiveField struct {
	Pixels            int
	Up, Down          int // rows above / below the output pixel (Down > 0 means not causal)
	Left, Right       int
	Causal            bool
	FirstNonCausal    Offset // the first offset at or after (0,0), when not causal
	HasFirstNonCausal bool
}

// Receptive computes the ReceptiveField of out with respect to in.
func Receptive(g *Graph, out, in *Value) (ReceptiveField, error) {
	offs, err := Footprint(g, out, in)
	if err != nil {
		return ReceptiveField{}, err
	}
	rf := ReceptiveField{Pixels: len(offs), Causal: true}
	for _, o := range offs {
		rf.Up = max(rf.Up, -o.Dy)
		rf.Down = max(rf.Down, o.Dy)
		rf.Left = max(rf.Left, -o.Dx)
		rf.Right = max(rf.Right, o.Dx)
		if (o.Dy > 0 || (o.Dy == 0 && o.Dx >= 0)) && rf.Causal {
			rf.Causal = false
			rf.FirstNonCausal = o
			rf.HasFirstNonCausal = true
		}
	}
	return rf, nil
}

func (rf ReceptiveField) String() string {
	s := fmt.Sprintf("%d pixels, %d rows up, %d down, %d columns left, %d right", rf.Pixels, rf.Up, rf.Down, rf.Left, rf.Right)
	if rf.Causal {
		return s + ", causal"
	}
	return s + fmt.Sprintf(", NOT causal (sees offset %+d,%+d)", rf.FirstNonCausal.Dy, rf.FirstNonCausal.Dx)
}
