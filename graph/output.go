package graph

import "fmt"

// OutputKind says what a PixelCNN-like graph's first output holds per pixel
// along its channel axis.
type OutputKind int

const (
	Logits   OutputKind = iota // unnormalized scores
	Probs                      // a channel Softmax of the logits
	LogProbs                   // a channel LogSoftmax of the logits
)

func (k OutputKind) String() string {
	switch k {
	case Logits:
		return "logits"
	case Probs:
		return "probabilities"
	case LogProbs:
		return "log-probabilities"
	}
	return fmt.Sprintf("outputkind(%d)", int(k))
}

// SoftmaxTail looks for a channel softmax (or log-softmax) ending g's first
// output and returns the logits feeding it and what the output holds; an
// output without one is its own logits (kind Logits). Identity nodes in
// between are looked through. Two forms are channel softmaxes, the ones
// torch.onnx writes:
//   - Softmax/LogSoftmax with axis 1 (or -3) on (N,Q,H,W), from opset 13
//     (before 13 the op flattens from its axis and normalizes over Q·H·W);
//   - at any opset, Transpose (a perm moving axis 1 last) → Softmax or
//     LogSoftmax on the last axis → Transpose by the inverse perm.
//
// A Softmax or LogSoftmax ending the graph in any other way normalizes over
// something else than the levels: that is an error naming the node.
func SoftmaxTail(g *Graph) (*Value, OutputKind, error) {
	if len(g.Outputs) == 0 {
		return nil, Logits, fmt.Errorf("graph has no output")
	}
	out := g.Outputs[0]
	v := skipIdentity(out)
	n := v.Producer
	if n == nil {
		return out, Logits, nil
	}
	kind := func(s *Node) (OutputKind, bool) {
		switch s.Op {
		case "Softmax":
			return Probs, true
		case "LogSoftmax":
			return LogProbs, true
		}
		return Logits, false
	}
	axis := func(s *Node) int64 {
		if a, ok := s.Attr("axis"); ok && a.Type == AttrInt {
			return a.I
		}
		if OpsetOf(g) >= 13 {
			return -1
		}
		return 1
	}
	notChannel := func(s *Node) error {
		return &TailError{Node: s, Reason: fmt.Sprintf("axis %d at opset %d does not normalize over the channel axis of %s; want a channel softmax",
			axis(s), OpsetOf(g), s.Inputs[0].Name)}
	}
	if k, ok := kind(n); ok {
		if len(n.Inputs) == 1 && OpsetOf(g) >= 13 && (axis(n) == 1 || axis(n) == -3) && rank4(n.Inputs[0]) {
			return n.Inputs[0], k, nil
		}
		return nil, k, notChannel(n)
	}
	if n.Op != "Transpose" || len(n.Inputs) != 1 {
		return out, Logits, nil
	}
	sm := skipIdentity(n.Inputs[0]).Producer
	if sm == nil {
		return out, Logits, nil
	}
	k, ok := kind(sm)
	if !ok {
		return out, Logits, nil
	}
	t1 := skipIdentity(sm.Inputs[0]).Producer
	p2 := n.IntsAttr("perm")
	if t1 == nil || t1.Op != "Transpose" || len(t1.Inputs) != 1 || (axis(sm) != 3 && axis(sm) != -1) {
		return nil, k, notChannel(sm)
	}
	p1 := t1.IntsAttr("perm")
	if len(p1) != 4 || len(p2) != 4 || p1[3] != 1 {
		return nil, k, notChannel(sm)
	}
	for i := range p1 {
		if p1[i] < 0 || p1[i] > 3 || p2[p1[i]] != int64(i) {
			return nil, k, &TailError{Node: n, Reason: fmt.Sprintf("perm %v does not invert %s's perm %v", p2, t1.Name, p1)}
		}
	}
	return t1.Inputs[0], k, nil
}

// TailError is a softmax ending a graph that is not a channel softmax.
type TailError struct {
	Node   *Node
	Reason string
}

func (e *TailError) Error() string {
	return fmt.Sprintf("node %s (%s): %s", e.Node.Name, e.Node.Op, e.Reason)
}

func skipIdentity(v *Value) *Value {
	for v.Producer != nil && v.Producer.Op == "Identity" && len(v.Producer.Inputs) == 1 && v.Producer.Inputs[0] != nil {
		v = v.Producer.Inputs[0]
	}
	return v
}

func rank4(v *Value) bool { return v.Shape == nil || len(v.Shape) == 4 }

// Levels returns q, the number of intensity levels g predicts: the levels
// of its PixelCNN config when it carries one, else the channel count of its
// logits (N,q,H,W) (the input of a trailing channel softmax, see
// SoftmaxTail), read from the value's shape or, when that dim is unknown,
// from the output channels of the Conv computing it. A config that
// disagrees with the logits is an error.
func Levels(g *Graph) (int, error) {
	logits, _, err := SoftmaxTail(g)
	if err != nil {
		return 0, err
	}
	q := -1
	if s := logits.Shape; len(s) == 4 && s[1] > 0 {
		q = s[1]
	} else if n := logits.Producer; n != nil && n.Op == "Conv" && len(n.Inputs) > 1 && n.Inputs[1].IsConst() && len(n.Inputs[1].Const.Shape) == 4 {
		q = n.Inputs[1].Const.Shape[0]
	}
	if c := g.Config; c != nil {
		if q > 0 && c.Levels != q {
			return 0, fmt.Errorf("config says %d levels but logits %s have %d channels", c.Levels, logits.Name, q)
		}
		q = c.Levels
	}
	if q < 2 {
		return 0, fmt.Errorf("cannot tell the levels q: logits %s (%s) are not (N,q,H,W) with q >= 2", logits.Name, logits.TypeString())
	}
	return q, nil
}
