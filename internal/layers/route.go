package layers

import (
	"fmt"
	"io"
	"strings"

	"github.com/pixelgraph/pixelgraph/graph"
)

// Path is the engine path that runs a node.
type Path uint8

const (
	// PathLayer: the node is a layer of its own.
	PathLayer Path = iota
	// PathFused: the node runs inside another node's layer (Route.Layer).
	PathFused
	// PathFolded: the node computes a constant, folded when the plan is
	// built (a mask applied by Mul(W, M)); nothing runs per image.
	PathFolded
	// PathGeneric: the node is outside the layer classes (Route.Reason
	// says why); the generic interpreter runs it.
	PathGeneric
	// PathUnused: no graph output depends on the node.
	PathUnused
)

var pathNames = [...]string{"layer", "fused", "folded", "generic", "unused"}

func (p Path) String() string {
	if int(p) < len(pathNames) {
		return pathNames[p]
	}
	return fmt.Sprintf("path(%d)", int(p))
}

// Route is where one node of the graph runs.
type Route struct {
	Node *graph.Node
	Path Path
	// Layer is the index of the layer running the node (PathLayer,
	// PathFused), else -1.
	Layer int
	// Reason explains a fused or generic node.
	Reason string
}

// Engine names the engine that runs a route when the plan is executed by
// the Go runtime: the fast chain (the layers, Plan.Chain) or the generic
// interpreter.
func (p *Plan) Engine(r Route) string {
	switch {
	case r.Path == PathFolded:
		return "folded"
	case r.Path == PathUnused:
		return "unused"
	case p.Chain && (r.Path == PathLayer || r.Path == PathFused):
		return "fast"
	}
	return "generic"
}

// Blocking returns the route of the first node (in a depth-first walk of
// the inputs) that graph value v depends on and that no layer runs: why v
// is not a layer value. nil when there is none.
func (p *Plan) Blocking(v *graph.Value) *Route {
	route := map[*graph.Node]*Route{}
	for i := range p.Routes {
		route[p.Routes[i].Node] = &p.Routes[i]
	}
	seen := map[*graph.Value]bool{}
	var walk func(v *graph.Value) *Route
	walk = func(v *graph.Value) *Route {
		n := v.Producer
		if n == nil || seen[v] {
			return nil
		}
		seen[v] = true
		for _, in := range n.Inputs {
			if in != nil {
				if r := walk(in); r != nil {
					return r
				}
			}
		}
		if r := route[n]; r.Path == PathGeneric {
			return r
		}
		return nil
	}
	return walk(v)
}

// Write prints the plan as text: the receptive field of the logits (the
// input of a trailing softmax), the engine, one line per node with its
// engine path and layer, then the layers with their fusions and the
// values' lifetimes and reaches. `pixelgraph inspect` prints it; goldens
// compare it.
func (p *Plan) Write(w io.Writer) error {
	var sb strings.Builder
	if p.Input >= 0 && len(p.Graph.Outputs) > 0 {
		in := p.Values[p.Input].V.Name
		logits, _, err := graph.SoftmaxTail(p.Graph)
		if err == nil {
			fmt.Fprintf(&sb, "receptive field (%s <- %s): ", logits.Name, in)
			if id, ok := p.ValueOf(logits); !ok {
				err = fmt.Errorf("not computed by layers")
				if r := p.Blocking(logits); r != nil {
					err = fmt.Errorf("node %s (%s): %s", r.Node.Name, r.Node.Op, r.Reason)
				}
			} else {
				var rf graph.ReceptiveField
				if rf, err = p.Receptive(id, p.Input); err == nil {
					fmt.Fprintf(&sb, "%v\n", rf)
				}
			}
		} else {
			fmt.Fprintf(&sb, "receptive field (%s <- %s): ", p.Graph.Outputs[0].Name, in)
		}
		if err != nil {
			fmt.Fprintf(&sb, "unknown: %v\n", err)
		}
	}
	switch {
	case p.Fast:
		fmt.Fprintf(&sb, "engine: fast chain, %d layers (fusions %v)\n", len(p.Layers), p.Fusions)
	case p.Chain:
		generic := 0
		for _, r := range p.Routes {
			if r.Path == PathGeneric {
				generic++
			}
		}
		nodes := "nodes"
		if generic == 1 {
			nodes = "node"
		}
		fmt.Fprintf(&sb, "engine: fast chain, %d layers (fusions %v), then the generic interpreter for %d %s, from %s\n",
			len(p.Layers), p.Fusions, generic, nodes, p.Blocker)
	default:
		fmt.Fprintf(&sb, "engine: generic interpreter for every node: %s\n", p.Blocker)
	}
	fmt.Fprintf(&sb, "engine paths:\n")
	for _, r := range p.Routes {
		fmt.Fprintf(&sb, "  %-24s %-10s %-8s", r.Node.Name, r.Node.Op, p.Engine(r))
		switch r.Path {
		case PathLayer:
			fmt.Fprintf(&sb, " layer %d", r.Layer)
		case PathFused:
			fmt.Fprintf(&sb, " layer %d: %s", r.Layer, r.Reason)
		case PathGeneric, PathUnused:
			fmt.Fprintf(&sb, " %s", r.Reason)
		}
		sb.WriteByte('\n')
	}
	fmt.Fprintf(&sb, "layers:\n")
	for i, l := range p.Layers {
		fmt.Fprintf(&sb, "  %d %s\n", i, p.layerString(l))
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func (p *Plan) layerString(l *Layer) string {
	name := func(id int) string {
		if id < 0 {
			return "const"
		}
		return p.Values[id].V.Name
	}
	var sb strings.Builder
	switch l.Kind {
	case Conv:
		c := l.Conv
		fmt.Fprintf(&sb, "conv %dx%d %d->%d taps %d/%d", c.KH, c.KW, c.C, c.O, len(c.Taps), c.KH*c.KW)
		if c.Mask != graph.MaskNone {
			fmt.Fprintf(&sb, " mask %v", c.Mask)
		}
		if c.Stride != [2]int{1, 1} {
			fmt.Fprintf(&sb, " stride %v", c.Stride)
		}
		if c.Dilation != [2]int{1, 1} {
			fmt.Fprintf(&sb, " dilation %v", c.Dilation)
		}
		if c.Crop != "" {
			fmt.Fprintf(&sb, " pads %v, %s", c.Pads, c.Crop)
		}
		for _, n := range c.Pad {
			fmt.Fprintf(&sb, " pads %v with pad %s", c.Pads, n.Name)
		}
	case Binary:
		sb.WriteString(strings.ToLower(l.Op))
		if l.Const != nil {
			fmt.Fprintf(&sb, " const%v", l.Const.Shape)
		}
	case Gate:
		sb.WriteString("gate")
		if l.Halves {
			sb.WriteString(" halves")
		}
	case Slice:
		fmt.Fprintf(&sb, "slice channels [%d,%d)", l.Slice[0], l.Slice[1])
	case Embed:
		fmt.Fprintf(&sb, "embed %s[%s] (%dx%d)", l.Embed.TV.Name, p.Conds[l.Embed.Cond].Name, l.Embed.K, l.Embed.C)
	default:
		sb.WriteString(strings.ToLower(l.Op))
	}
	var ins []string
	for _, in := range l.In {
		if in >= 0 {
			ins = append(ins, name(in))
		}
	}
	fmt.Fprintf(&sb, " (%s)", strings.Join(ins, ", "))
	for _, f := range []struct {
		on   bool
		what string
	}{{l.ReluIn, "relu-in"}, {l.ReluOut, "relu-out"}, {l.Residual >= 0, "+ " + name(l.Residual)}} {
		if f.on {
			sb.WriteString(" " + f.what)
		}
	}
	fmt.Fprintf(&sb, " -> %s", p.valueString(l.Out))
	if l.AlsoRelu >= 0 {
		fmt.Fprintf(&sb, ", relu -> %s", p.valueString(l.AlsoRelu))
	}
	return sb.String()
}

func (p *Plan) valueString(id int) string {
	v := p.Values[id]
	s := fmt.Sprintf("%s [%d ch", v.V.Name, v.C)
	if last := v.Last(); v.Output {
		s += ", output"
	} else if last >= 0 {
		s += fmt.Sprintf(", dies at %d", last)
	}
	return s + ", " + v.Reach.String() + "]"
}
