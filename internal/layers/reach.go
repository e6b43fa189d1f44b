package layers

import (
	"fmt"
	"sort"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Reach says how far, in raster order, a value at position (y,x) depends on
// the image input, through every path: the footprint's last offset. It is
// what the cached sampler schedules by:
//   - Before: the value at p needs only input pixels before p, so it can be
//     computed before pixel p is drawn (Last < (0,0));
//   - RowAhead: the value at row y needs only rows above y (Last.Dy < 0),
//     so a whole row of it can be computed as soon as row y−1 is drawn,
//     ahead of the pixels of row y (the vertical stack of a Gated PixelCNN);
//   - otherwise the value at p sees pixel p itself (Last == (0,0)) or a
//     later one: it is computed after pixel p is drawn, and logits that do
//     are not causal.
//
// Offsets come from the live taps (Taps) of convs that keep positions
// aligned (ConvSpec.Aligned); an offset that lies outside every image
// (a tap that only ever reads padding) still counts, so Reach may be later
// than what an image of a given size sees, never earlier.
type Reach struct {
	// Known is false when a conv on some path does not keep positions
	// aligned (a stride, a size change): offsets mean nothing there.
	Known bool
	// Dep is false when the value does not depend on the input at all.
	Dep bool
	// Last is the last offset in raster order the value at (0,0) may read.
	Last graph.Offset
}

// Before reports whether the value at p can be computed before pixel p is
// drawn.
func (r Reach) Before() bool { return r.Known && (!r.Dep || r.Last.Less(graph.Offset{})) }

// RowAhead reports whether a row of the value can be computed once the rows
// above it are drawn.
func (r Reach) RowAhead() bool { return r.Known && (!r.Dep || r.Last.Dy < 0) }

func (r Reach) String() string {
	switch {
	case !r.Known:
		return "reach unknown"
	case !r.Dep:
		return "no input"
	case r.RowAhead():
		return fmt.Sprintf("reach %+d,%+d (row ahead)", r.Last.Dy, r.Last.Dx)
	case r.Before():
		return fmt.Sprintf("reach %+d,%+d (before)", r.Last.Dy, r.Last.Dx)
	}
	return fmt.Sprintf("reach %+d,%+d (sees its pixel)", r.Last.Dy, r.Last.Dx)
}

// join is the reach of a value reading both a and b at the same position.
func (a Reach) join(b Reach) Reach {
	switch {
	case !a.Known || !b.Known:
		return Reach{}
	case !a.Dep:
		return b
	case !b.Dep:
		return a
	case a.Last.Less(b.Last):
		return b
	}
	return a
}

// reaches computes every value's Reach, layer by layer.
func (p *Plan) reaches() {
	if p.Input >= 0 {
		p.Values[p.Input].Reach = Reach{Known: true, Dep: true}
	}
	for _, l := range p.Layers {
		r := Reach{Known: true}
		for _, in := range l.reads() {
			if l.Kind == Conv && in == l.In[0] {
				r = r.join(convReach(l.Conv, p.Values[in].Reach))
				continue
			}
			r = r.join(p.Values[in].Reach)
		}
		p.Values[l.Out].Reach = r
		if l.AlsoRelu >= 0 {
			p.Values[l.AlsoRelu].Reach = r
		}
	}
}

// convReach is the reach of a conv's output given its input's: the input's
// last offset plus the last live tap's.
func convReach(c *ConvSpec, in Reach) Reach {
	if !c.Aligned() || !in.Known {
		return Reach{}
	}
	if !in.Dep {
		return in
	}
	last := c.Offset(c.Taps[0])
	for _, t := range c.Taps[1:] {
		if o := c.Offset(t); last.Less(o) {
			last = o
		}
	}
	return Reach{Known: true, Dep: true, Last: in.Last.Add(last)}
}

// Footprint lists the input offsets that can influence value out at (0,0):
// the live taps of every conv on every path from in, composed. It needs
// every conv on those paths to have stride 1; otherwise it is an error
// naming the conv.
func (p *Plan) Footprint(out, in int) ([]graph.Offset, error) {
	fp := make([]map[graph.Offset]bool, len(p.Values))
	fp[out] = map[graph.Offset]bool{{}: true}
	add := func(v int, off graph.Offset) {
		if fp[v] == nil {
			fp[v] = map[graph.Offset]bool{}
		}
		fp[v][off] = true
	}
	for i := len(p.Layers) - 1; i >= 0; i-- {
		l := p.Layers[i]
		ys := fp[l.Out]
		if l.AlsoRelu >= 0 {
			for o := range fp[l.AlsoRelu] {
				if ys == nil {
					ys = map[graph.Offset]bool{}
				}
				ys[o] = true
			}
		}
		if len(ys) == 0 {
			continue
		}
		for _, v := range l.reads() {
			if l.Kind == Conv && v == l.In[0] {
				if l.Conv.Stride != [2]int{1, 1} {
					return nil, fmt.Errorf("node %s (Conv): stride %v; footprint needs stride 1", l.Node.Name, l.Conv.Stride)
				}
				for off := range ys {
					for _, t := range l.Conv.Taps {
						add(v, off.Add(l.Conv.Offset(t)))
					}
				}
				continue
			}
			for off := range ys {
				add(v, off)
			}
		}
	}
	res := make([]graph.Offset, 0, len(fp[in]))
	for off := range fp[in] {
		res = append(res, off)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Less(res[j]) })
	return res, nil
}

// Receptive computes the graph.ReceptiveField of value out with respect to
// value in.
func (p *Plan) Receptive(out, in int) (graph.ReceptiveField, error) {
	offs, err := p.Footprint(out, in)
	if err != nil {
		return graph.ReceptiveField{}, err
	}
	return graph.Summarize(offs), nil
}
