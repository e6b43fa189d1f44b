package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
)

// TestTrainInitTorch fine-tunes the PyTorch-exported MNIST PixelCNN
// (testdata/torch/mnist28_q4: torch.onnx folded its masks into the
// weights) for 200 steps on testdata/mnist: the masks are recovered from
// the zero pattern and written as our metadata, every tap that was 0 in
// the file for all channels is still exactly 0, and the test NLL over the
// first 100 test images (the images PyTorch's own figure is over) drops.
func TestTrainInitTorch(t *testing.T) {
	t.Parallel()
	const dir = "../../testdata/torch/mnist28_q4"
	data := filepath.Join("..", "..", "testdata", "mnist")
	out := filepath.Join(t.TempDir(), "ft.onnx")
	code, _, stderr := pg(t, "train", "--init", dir+"/model.onnx", "--steps", "200", "--data", data, "-o", out, "--eval-limit", "100")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "masks recovered from the zero pattern: onnx::Conv_47 A, onnx::Conv_48 B, onnx::Conv_49 B") {
		t.Errorf("stderr does not report the recovered masks:\n%s", stderr)
	}
	nll := func(m string) float64 {
		code, stdout, stderr := pg(t, "eval", "-m", m, "--limit", "100", "--data", data, "--json")
		if code != 0 {
			t.Fatalf("eval %s: exit %d: %s", m, code, stderr)
		}
		var r struct {
			BitsPerDim float64 `json:"bits_per_dim"`
		}
		if err := json.Unmarshal([]byte(stdout), &r); err != nil {
			t.Fatal(err)
		}
		return r.BitsPerDim
	}
	before, after := nll(dir+"/model.onnx"), nll(out)
	t.Logf("test NLL over 100 images: %.4f bits/dim before, %.4f after 200 steps", before, after)
	if !(after < before) {
		t.Errorf("fine-tuning did not lower the test NLL: %.4f bits/dim before, %.4f after", before, after)
	}
	orig, err := export.DecodeFile(dir+"/model.onnx", nil)
	if err != nil {
		t.Fatal(err)
	}
	tuned, err := export.DecodeFile(out, nil) // decoding checks the hidden taps of pixelgraph.masks
	if err != nil {
		t.Fatal(err)
	}
	masks := map[string]graph.MaskKind{}
	for _, v := range tuned.Inits {
		if v.Mask != graph.MaskNone {
			masks[v.Name] = v.Mask
		}
	}
	if masks["onnx::Conv_47"] != graph.MaskA || masks["onnx::Conv_48"] != graph.MaskB || masks["onnx::Conv_49"] != graph.MaskB || len(masks) != 3 {
		t.Errorf("masks in the fine-tuned file: %v", masks)
	}
	changed := 0
	for _, v := range orig.Inits {
		w := tuned.Init(v.Name)
		if w == nil || len(v.Const.Shape) != 4 {
			continue
		}
		kk := v.Const.Shape[2] * v.Const.Shape[3]
		live := make([]bool, kk)
		for i, x := range v.Const.F32 {
			if x != 0 {
				live[i%kk] = true
			}
		}
		for i, x := range w.Const.F32 {
			if !live[i%kk] && x != 0 {
				t.Fatalf("%s[%d] was a dead tap in the file and is %g after training", v.Name, i, x)
			}
			if x != v.Const.F32[i] {
				changed++
			}
		}
	}
	if changed == 0 {
		t.Error("no conv weight changed")
	}
}

// TestTrainInitSoftmax: a torch file with a trailing channel softmax and
// run-time masks (Mul(W, M), not folded by torch) trains from --init: the
// masks are folded and recovered, the softmax is cut, and --init with
// --resume or model flags is a usage error.
func TestTrainInitSoftmax(t *testing.T) {
	t.Parallel()
	data := filepath.Join("..", "..", "testdata", "mnist")
	out := filepath.Join(t.TempDir(), "ft.onnx")
	code, _, stderr := pg(t, "train", "--init", "../../testdata/torch/opset13_softmax/model.onnx", "--steps", "2", "--batch", "4",
		"--data", data, "-o", out, "--eval-limit", "8", "-q")
	if code != 0 { // the fixture is 8x8: MNIST is centre-cropped to it
		t.Fatalf("exit %d: %s", code, stderr)
	}
	g, err := export.DecodeFile(out, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, kind, _ := graph.SoftmaxTail(g); kind != graph.Logits || g.Outputs[0].Name != "/logits/Conv_output_0" {
		t.Errorf("output %s (%v): want the logits", g.Outputs[0].Name, kind)
	}
	code, _, stderr = pg(t, "train", "--init", "../../testdata/torch/opset13_unfolded/model.onnx", "--steps", "1", "--batch", "2",
		"--data", data, "-o", out, "--eval-limit", "4")
	if code != 0 || !strings.Contains(stderr, "masks recovered from the zero pattern: /inp/Mul_output_0 A, /res/res.0/b/Mul_output_0 B, /res/res.1/b/Mul_output_0 B") {
		t.Errorf("unfolded masks: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"--init", "a.onnx", "--resume", "b.onnx"},
		{"--init", "a.onnx", "--filters", "8"},
	} {
		if code, _, stderr := pg(t, append([]string{"train", "-o", out}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2: %s", args, code, stderr)
		}
	}
}
