package sample

import (
	"math"

	"github.com/pixelgraph/pixelgraph/graph"
)

// softmaxTail recognizes a channel softmax that ends g and returns the
// logits feeding it, or nil. Two forms are recognized, the ones torch.onnx
// writes: Softmax(axis 1) on (N,Q,H,W) at opset >= 13, and, at any opset,
// Transpose(perm moving axis 1 last) → Softmax(last axis) → Transpose(the
// inverse perm). Sampling from softmax(log p / T) is sampling from
// softmax(logits / T), so both samplers can work on the logits.
func softmaxTail(g *graph.Graph) *graph.Value {
	if len(g.Outputs) == 0 {
		return nil
	}
	opset := g.Opset
	if opset == 0 {
		opset = 13
	}
	n := g.Outputs[0].Producer
	if n == nil {
		return nil
	}
	axis := func(s *graph.Node) (int64, bool) {
		a, ok := s.Attr("axis")
		return a.I, ok && a.Type == graph.AttrInt
	}
	if n.Op == "Softmax" && len(n.Inputs) == 1 && opset >= 13 {
		if a, ok := axis(n); ok && (a == 1 || a == -3) {
			return n.Inputs[0]
		}
		return nil
	}
	if n.Op != "Transpose" || len(n.Inputs) != 1 || n.Inputs[0].Producer == nil {
		return nil
	}
	sm := n.Inputs[0].Producer
	if sm.Op != "Softmax" || len(sm.Inputs) != 1 || sm.Inputs[0].Producer == nil {
		return nil
	}
	if a, ok := axis(sm); !ok || (a != 3 && a != -1) {
		return nil
	}
	t1 := sm.Inputs[0].Producer
	if t1.Op != "Transpose" || len(t1.Inputs) != 1 {
		return nil
	}
	p1, p2 := t1.IntsAttr("perm"), n.IntsAttr("perm")
	if len(p1) != 4 || len(p2) != 4 || p1[3] != 1 {
		return nil
	}
	for i := range p1 {
		if p1[i] < 0 || p1[i] > 3 || p2[p1[i]] != int64(i) {
			return nil
		}
	}
	return t1.Inputs[0]
}

// logProbs turns q probabilities (stride apart) into log-probabilities in
// buf, the logits Categorical expects; 0 becomes −Inf, which draws never pick.
func logProbs(probs []float32, stride, q int, buf []float32) []float32 {
	for k := 0; k < q; k++ {
		buf[k] = float32(math.Log(float64(probs[k*stride])))
	}
	return buf
}
