package main

import "github.com/pixelgraph/pixelgraph/graph"

// Estimates of the memory a model's work needs, from its config or its
// graph, without allocating it (see memory.go for how they are used).

// configParams counts the parameters of graph.PixelCNN(c) without building
// it (float64: the flags a user types can overflow an int product).
func configParams(c graph.Config) float64 {
	f := func(x int) float64 { return float64(x) }
	conv := func(in, out, k int) float64 { return f(in)*f(out)*f(k)*f(k) + f(out) }
	if c.Gated() { // graph.GatedPixelCNN: per layer v, link, h, skip, res and two class tables
		c2, p, in := 2*f(c.Filters), 0.0, c.Channels
		for i := 0; i < c.Layers; i++ {
			k := c.BlockKernel
			if i == 0 {
				k = c.FirstKernel
			}
			p += conv(in, 2*c.Filters, k) + conv(2*c.Filters, 2*c.Filters, 1) + f(in)*c2*f(k) + c2 +
				2*conv(c.Filters, c.Filters, 1) + 2*f(c.Classes)*c2
			in = c.Filters
		}
		return p + conv(c.Filters, c.Head, 1) + conv(c.Head, c.Levels*c.Channels, 1)
	}
	p := conv(c.Channels, c.Filters, c.FirstKernel)
	p += f(c.Blocks) * (conv(c.Filters, c.Hidden, 1) + conv(c.Hidden, c.Hidden, c.BlockKernel) + conv(c.Hidden, c.Filters, 1))
	p += conv(c.Filters, c.Head, 1) + conv(c.Head, c.Head, 1) + conv(c.Head, c.Levels*c.Channels, 1)
	return p
}

// actSize is the element count of a value per image, when known.
type actSize struct {
	elems float64 // per image
	chans float64 // dim 1, for convs
}

// activations estimates, per image, the float32 elements of a forward pass
// of g: peak is the most that must be live at once (the largest, over
// nodes, of what a node reads plus what it writes, and the graph's inputs
// plus outputs), total the sum over every value (what training keeps for
// the backward pass). shapes gives the actual shape of graph inputs whose
// declared shape has unknown dims (nil: use the declared one). Conv and
// ConvTranspose outputs are sized from their weight and strides; ops that
// keep their input's size (pointwise, Add/Mul..., Softmax) from their
// largest input; values of other ops are not counted.
func activations(g *graph.Graph, shapes map[string][]int) (peak, total float64) {
	size := map[*graph.Value]actSize{}
	var inOut float64
	for _, v := range g.Inputs {
		s := v.Shape
		if shapes[v.Name] != nil {
			s = shapes[v.Name]
		}
		if a, ok := imageSize(s); ok {
			size[v] = a
			inOut += a.elems
			total += a.elems
		}
	}
	for _, n := range g.Nodes {
		var io, largest actSize
		for _, v := range n.Inputs {
			if a, ok := size[v]; ok {
				io.elems += a.elems
				if a.elems > largest.elems {
					largest = a
				}
			}
		}
		out, ok := nodeOutput(n, size, largest)
		if !ok || len(n.Outputs) == 0 {
			continue
		}
		size[n.Outputs[0]] = out
		io.elems += out.elems
		total += out.elems
		peak = max(peak, io.elems)
	}
	for _, v := range g.Outputs {
		if v.Producer != nil {
			inOut += size[v].elems
		}
	}
	return max(peak, inOut), total
}

// imageSize reads a (N, C, ...) shape: elements per image and channels.
func imageSize(s []int) (actSize, bool) {
	if len(s) < 2 {
		return actSize{}, false
	}
	e := 1.0
	for _, d := range s[1:] {
		if d < 0 {
			return actSize{}, false
		}
		e *= float64(d)
	}
	return actSize{elems: e, chans: float64(s[1])}, true
}

// nodeOutput sizes the first output of n, when its op is one activations
// knows; largest is the node's largest known input.
func nodeOutput(n *graph.Node, size map[*graph.Value]actSize, largest actSize) (actSize, bool) {
	switch n.Op {
	case "Conv", "ConvTranspose":
		if len(n.Inputs) < 2 || n.Inputs[1] == nil || len(n.Inputs[1].Shape) < 2 {
			return actSize{}, false
		}
		x, ok := size[n.Inputs[0]]
		if !ok || x.chans <= 0 {
			return actSize{}, false
		}
		w := n.Inputs[1].Shape
		stride := 1.0
		for _, s := range n.IntsAttr("strides") {
			stride *= float64(max(s, 1))
		}
		spatial := x.elems / x.chans
		if n.Op == "Conv" {
			return actSize{elems: float64(w[0]) * spatial / stride, chans: float64(w[0])}, true
		}
		oc := float64(w[1]) * float64(max(n.IntAttr("group", 1), 1))
		return actSize{elems: oc * spatial * stride, chans: oc}, true
	case "Relu", "LeakyRelu", "Elu", "Sigmoid", "Tanh", "Identity", "Dropout", "Softmax", "LogSoftmax",
		"Add", "Sub", "Mul", "Div":
		return largest, largest.elems > 0
	}
	return actSize{}, false
}
