package train

import (
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/layers"
	"github.com/pixelgraph/pixelgraph/runtime"
)

// Imported is what Import did to a graph.
type Imported struct {
	// Masks are the weights whose mask kind was recovered from their zero
	// pattern (graph.RecoverMasks); the file will carry them in
	// pixelgraph.masks. Weights whose zero pattern is another keep it: the
	// layer plan's live taps (layers.Taps) follow it.
	Masks []*graph.Value
	// Tail is the trailing channel softmax Import cut (nil when the graph
	// outputs logits): the graph now outputs the logits feeding it.
	Tail []*graph.Node
}

// Import prepares a graph read from any ONNX file (a torch.onnx PixelCNN,
// say) for New: constants are folded (runtime.Fold: a mask applied by
// Mul(W, M) becomes the masked weight, an initializer training updates),
// masks folded into weights are recovered (graph.RecoverMasks) so that
// their hidden taps stay exactly 0 and the trained file says which they
// are, and a trailing channel softmax (graph.SoftmaxTail) is cut so the
// graph outputs the logits the loss reads. g's nodes are not modified; the
// result shares its initializers (whose mask kinds are set). New then
// refuses, naming the node, any layer the plan does not run.
func Import(g *graph.Graph) (*graph.Graph, *Imported, error) {
	f, err := runtime.Fold(g)
	if err != nil {
		return nil, nil, err
	}
	imp := &Imported{Masks: graph.RecoverMasks(f)}
	logits, kind, err := graph.SoftmaxTail(f)
	if err != nil {
		return nil, nil, &UnsupportedError{Msg: err.Error()}
	}
	if kind != graph.Logits && len(f.Outputs) == 1 {
		need := map[*graph.Value]bool{logits: true}
		keep := map[*graph.Node]bool{}
		for i := len(f.Nodes) - 1; i >= 0; i-- {
			n := f.Nodes[i]
			for _, o := range n.Outputs {
				if need[o] {
					keep[n] = true
				}
			}
			if keep[n] {
				for _, v := range n.Inputs {
					need[v] = true
				}
			}
		}
		nodes := f.Nodes[:0:0]
		for _, n := range f.Nodes {
			if keep[n] {
				nodes = append(nodes, n)
			} else {
				imp.Tail = append(imp.Tail, n)
			}
		}
		f.Nodes, f.Outputs = nodes, []*graph.Value{logits}
	}
	if err := inferOutput(f); err != nil {
		return nil, nil, err
	}
	return f, imp, nil
}

// inferOutput gives f's output an (N,q,H,W) shape when the file left it
// unknown (torch.onnx does for intermediate values): the layer plan's
// shapes for the input's image size.
func inferOutput(f *graph.Graph) error {
	out := f.Outputs[0]
	if len(out.Shape) == 4 && out.Shape[1] > 0 && out.Shape[2] > 0 && out.Shape[3] > 0 || len(f.Inputs) != 1 {
		return nil
	}
	in := f.Inputs[0]
	pl, err := layers.Build(f, layers.Options{})
	if err != nil {
		return err
	}
	id, ok := pl.ValueOf(out)
	if !ok || len(in.Shape) != 4 {
		return nil // New says why it cannot train f
	}
	s, err := pl.Shapes([3]int{in.Shape[1], in.Shape[2], in.Shape[3]})
	if err != nil {
		return &UnsupportedError{Msg: err.Error()}
	}
	out.Shape = []int{in.Shape[0], s[id][0], s[id][1], s[id][2]}
	if in.DimNames != nil {
		out.DimNames = []string{in.DimNames[0], "", "", ""}
	}
	return nil
}
