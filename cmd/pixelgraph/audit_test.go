package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
)

// maskByMul rewrites every masked conv to read Mul(W, M), W unmasked.
func maskByMul(g *graph.Graph) {
	var muls []*graph.Node
	for _, n := range g.Nodes {
		if n.Op != "Conv" || n.Inputs[1].Mask == graph.MaskNone {
			continue
		}
		w := n.Inputs[1]
		kh, kw := w.Shape[2], w.Shape[3]
		m := graph.Mask(w.Mask, kh, kw)
		for i := range w.Const.F32 {
			if m[i%len(m)] == 0 {
				w.Const.F32[i] = 0.25
			}
		}
		w.Mask = graph.MaskNone
		mv := &graph.Value{Name: w.Name + "_mask", DType: graph.Float32, Shape: []int{1, 1, kh, kw},
			Const: graph.NewFloat32([]int{1, 1, kh, kw}, m)}
		g.Inits = append(g.Inits, mv)
		prod := &graph.Value{Name: w.Name + "_masked", DType: graph.Float32, Shape: w.Shape}
		mul := &graph.Node{Name: w.Name + "_mul", Op: "Mul", Inputs: []*graph.Value{w, mv}, Outputs: []*graph.Value{prod}}
		prod.Producer = mul
		muls = append(muls, mul)
		n.Inputs[1] = prod
	}
	g.Nodes = append(muls, g.Nodes...)
}

func TestAuditCommand(t *testing.T) {
	t.Parallel()
	c := tinyConfig(4)
	c.Height, c.Width = 12, 12 // the empirical check perturbs every pixel
	for _, tc := range []struct {
		name string
		edit func(*graph.Graph)
		code int
		want string // in stderr for exit 1, in stdout for exit 0
	}{
		{"causal", nil, 0, "causal\n"},
		{"mask applied by Mul", maskByMul, 0, "cached sampling: supported"},
		{"first conv sees its centre", leak("in", 3, 3), 1, "not causal: node in (Conv) tap (3,3) reads pixels at offset (+0,+0)"},
		{"3x3 conv sees the row below", leak("res01/b", 2, 2), 1, "not causal: node res01/b (Conv) tap (2,2) reads res01/relu2 at offset (+1,+1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			model := writeModel(t, c, tc.edit)
			code, stdout, stderr := pg(t, "audit", model, "-q")
			got := stdout
			if tc.code != 0 {
				got = stderr
				if !strings.Contains(stdout, "empirical: perturbed 144 input pixels,") || strings.Contains(stdout, " 0 logits") {
					t.Errorf("empirical check did not report leaks:\n%s", stdout)
				}
			}
			if code != tc.code || !strings.Contains(got, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d and %q", code, stdout, stderr, tc.code, tc.want)
			}
		})
	}
	if code, _, stderr := pg(t, "audit"); code != 2 || !strings.Contains(stderr, "MODEL is required") {
		t.Errorf("no model: exit %d %q", code, stderr)
	}
}

// TestAuditExitCodes: 0 causal, 1 not causal, 2 usage, 3 for a file audit
// cannot judge (missing, not ONNX, an op outside what it runs).
func TestAuditExitCodes(t *testing.T) {
	t.Parallel()
	c := tinyConfig(4)
	c.Height, c.Width = 8, 8
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.onnx")
	os.WriteFile(garbage, []byte("not a model"), 0o644)
	unsupported := writeModel(t, c, func(g *graph.Graph) {
		for _, n := range g.Nodes {
			if n.Op == "Relu" {
				n.Op = "Frobnicate"
				return
			}
		}
	})
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"causal", []string{writeModel(t, c, nil)}, 0, ""},
		{"not causal", []string{writeModel(t, c, leak("in", 3, 3))}, 1, "is not causal"},
		{"no model", nil, 2, "MODEL is required"},
		{"bad flag", []string{"--batch", "0", garbage}, 2, "--batch must be >= 1"},
		{"missing file", []string{filepath.Join(dir, "none.onnx")}, 3, "cannot judge: open "},
		{"not ONNX", []string{garbage}, 3, "cannot judge: "},
		{"unsupported op", []string{unsupported}, 3, "Frobnicate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := pg(t, append([]string{"audit", "-q"}, tc.args...)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d with %q", code, stderr, tc.code, tc.want)
			}
		})
	}
}
