package onnxgo

// Each test here pins down one thing onnx-go v0.5.0 cannot do with a file
// pixelgraph writes, asserting today's behaviour (the exact error, or the
// result it computes instead), so that a change upstream makes a test fail
// and README.md gets updated. README.md says which file options avoid each.

import (
	"math"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// (a) Symbolic batch: onnx-go drops a dim_param dimension when it builds the
// input placeholder, so a file with batch "N" declares a 3-D input to it.
func TestLimitSymbolicBatchDropped(t *testing.T) {
	cfg := testenv.Q256Config()
	b := marshal(t, pixelCNN(t, cfg), 13)
	gm, err := loadGo(b)
	if err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	if got, want := gm.inputShape(), []int{1, cfg.Height, cfg.Width}; !sameShape(got, want) {
		t.Fatalf("onnx-go's input shape for [N,1,28,28] is %v, want %v (the dim_param N dropped); onnx-go changed: update README.md", got, want)
	}
	// A caller that runs before binding an input (or binds one of the
	// reported shape) gets:
	err = gm.g.Run()
	errorContains(t, "Run before SetInput on a symbolic-batch file", err, "conv: im should have 4 dims, got 3 dims")
	// ... and the model is unusable afterwards.
	x := mnist(t, 0, 1, cfg.Levels)
	err = gm.set([]int{1, 1, cfg.Height, cfg.Width}, x)
	errorContains(t, "SetInput after the failed Run", err, "Node's expected shape is (1, 28, 28). Got (1, 1, 28, 28) instead")
	errorContains(t, "Run after the failed SetInput", gm.g.Run(), "root node is nil")

	// The same model exported with a fixed batch (--batch 1) reports the
	// real shape, and a Run before SetInput runs (on zeros).
	fixed := marshalBatch(t, pixelCNN(t, cfg), 13, 1)
	gm, err = loadGo(fixed)
	if err != nil {
		t.Fatalf("UnmarshalBinary (fixed batch): %v", err)
	}
	if got, want := gm.inputShape(), []int{1, 1, cfg.Height, cfg.Width}; !sameShape(got, want) {
		t.Fatalf("fixed-batch file: onnx-go's input shape %v, want %v", got, want)
	}
	if err := gm.g.Run(); err != nil {
		t.Fatalf("fixed-batch file: Run before SetInput: %v", err)
	}
}

// (a) Batch frozen at the first Run: onnx-go builds its gorgonia graph on
// the first Run from the input bound then; a later input of another batch
// is refused by SetInput, and Run then silently returns the previous
// result. One onnx-go model serves one batch size: load another per size.
func TestLimitBatchFrozenAtFirstRun(t *testing.T) {
	cfg := testenv.Q256Config()
	b := marshal(t, pixelCNN(t, cfg), 13)
	gm, err := loadGo(b)
	if err != nil {
		t.Fatalf("UnmarshalBinary: %v", err)
	}
	shape7 := []int{7, 1, cfg.Height, cfg.Width}
	y7, s7, err := gm.run(shape7, mnist(t, 0, 7, cfg.Levels))
	if err != nil {
		t.Fatalf("batch 7: %v", err)
	}
	shape1 := []int{1, 1, cfg.Height, cfg.Width}
	x1 := mnist(t, 7, 1, cfg.Levels)
	err = gm.set(shape1, x1)
	errorContains(t, "SetInput of batch 1 after a run at batch 7", err, "Node's expected shape is (7, 1, 28, 28). Got (1, 1, 28, 28) instead")
	if err := gm.g.Run(); err != nil {
		t.Fatalf("Run after the refused SetInput: %v (onnx-go used to return the stale result without error; update README.md)", err)
	}
	y, s, err := gm.output()
	if err != nil {
		t.Fatal(err)
	}
	if !sameShape(s, s7) {
		t.Fatalf("output after the refused SetInput has shape %v, want the stale %v", s, s7)
	}
	if err := testenv.Close(y, y7, 0, 0); err != nil {
		t.Fatalf("output after the refused SetInput is not the stale batch-7 result (%v): onnx-go changed, update README.md", err)
	}
	// The workaround: a fresh model for batch 1.
	got, _ := runGo(t, b, shape1, x1)
	want, _ := runORT(t, b, shape1, x1)
	expectClose(t, "fresh onnx-go model at batch 1 vs ORT", got, want, atol, rtol)
}

// (a) Declared dims are not enforced: onnx-go runs a file whose batch is
// fixed to 7 at batch 1 without a word (the graph takes the shape of the
// first input bound), whereas ONNX Runtime refuses. onnx-go is no validator
// of a file's shapes.
func TestLimitDeclaredBatchNotEnforced(t *testing.T) {
	cfg := testenv.Q256Config()
	b := marshalBatch(t, pixelCNN(t, cfg), 13, 7)
	shape1 := []int{1, 1, cfg.Height, cfg.Width}
	x := mnist(t, 0, 1, cfg.Levels)
	_, s := runGo(t, b, shape1, x)
	if want := []int{1, cfg.Levels, cfg.Height, cfg.Width}; !sameShape(s, want) {
		t.Fatalf("onnx-go on a batch-7 file fed batch 1: output %v, want %v", s, want)
	}
	// ORT refuses such an input; the test harness checks the declared
	// shape before ORT does and says so first.
	_, err := runORTErr(t, b, shape1, x)
	if err == nil {
		t.Fatal("ORT ran a batch-7 file at batch 1")
	}
	t.Logf("onnx-go runs a batch-7 file at batch 1; ORT harness: %v", err)
}

// softmaxCfg is small enough for a batch-2 Softmax over all of Q·H·W.
func softmaxCfg() graph.Config { return testenv.Q256Config() }

// (b) Softmax: onnx-go applies the pre-opset-13 rule whatever the file's
// opset — axis=1 on [N,Q,H,W] normalizes over Q·H·W, not over Q — so a
// channel softmax written as Softmax(axis=1) at opset 13 computes ORT's
// opset-11 result, not ORT's opset-13 one.
func TestLimitSoftmaxPre13Rule(t *testing.T) {
	cfg := softmaxCfg()
	g := withSoftmax(t, cfg, 1)
	b13, b11 := marshal(t, g, 13), marshal(t, g, 11)
	shape := []int{2, 1, cfg.Height, cfg.Width}
	x := mnist(t, 0, 2, cfg.Levels)
	got, gs := runGo(t, b13, shape, x)
	want13, _ := runORT(t, b13, shape, x)
	want11, _ := runORT(t, b11, shape, x)

	// ORT at opset 13: a distribution over Q at every pixel.
	perPixel13, _ := softmaxSums(want13, gs)
	for i, s := range perPixel13 {
		if !(math.Abs(s-1) <= 1e-4) {
			t.Fatalf("ORT opset 13: pixel %d sums to %v over Q, want 1", i, s)
		}
	}
	// onnx-go on the opset-13 file: a distribution over Q·H·W per image,
	// i.e. ORT's opset-11 result. Probabilities are ~1/(Q·H·W) ≈ 5e-6, so
	// the comparison is relative.
	d := expectClose(t, "onnx-go (opset-13 file) vs ORT (same graph at opset 11)", got, want11, 1e-10, rtol)
	perPixel, perImage := softmaxSums(got, gs)
	for i, s := range perImage {
		if !(math.Abs(s-1) <= 1e-3) {
			t.Fatalf("onnx-go: image %d sums to %v over Q·H·W, want 1 (pre-13 rule); onnx-go changed, update README.md", i, s)
		}
	}
	hw := float64(cfg.Height * cfg.Width)
	if !(math.Abs(perPixel[0]*hw-1) <= 0.5) {
		t.Fatalf("onnx-go: pixel 0 sums to %v over Q, want about 1/(H·W) = %v", perPixel[0], 1/hw)
	}
	if testenv.Close(got, want13, 1e-10, rtol) == nil {
		t.Fatal("onnx-go matches ORT's opset-13 Softmax: onnx-go now follows opset 13; update the test and README.md")
	}
	t.Logf("onnx-go Softmax(axis=1) at opset 13 = ORT at opset 11: max abs diff %.3g (probabilities ≈ %.2g); pixel 0 sums to %.3g over Q (ORT opset 13: 1)", d.maxAbs, 1/(hw*float64(cfg.Levels)), perPixel[0])
}

// (b) The file onnx-go can run: the channel softmax on the last axis of an
// NHWC transpose, where both rules agree — with the axis given as 3.
func TestSoftmaxLastAxisMatchesORT(t *testing.T) {
	cfg := softmaxCfg()
	ref := marshal(t, withSoftmax(t, cfg, 1), 13) // what the user means
	b := marshal(t, withChannelSoftmaxLast(t, cfg, 3), 13)
	shape := []int{2, 1, cfg.Height, cfg.Width}
	x := mnist(t, 0, 2, cfg.Levels)
	got, gs := runGo(t, b, shape, x)
	want, ws := runORT(t, ref, shape, x)
	if !sameShape(gs, ws) {
		t.Fatalf("shapes: onnx-go %v, ORT %v", gs, ws)
	}
	d := expectClose(t, "onnx-go Transpose/Softmax(axis=3)/Transpose vs ORT Softmax-13(axis=1)", got, want, atol, rtol)
	for _, opset := range []int{11, 13} {
		o, _ := runORT(t, marshal(t, withChannelSoftmaxLast(t, cfg, 3), opset), shape, x)
		expectClose(t, "ORT Transpose/Softmax(axis=3)/Transpose vs Softmax-13(axis=1)", o, want, atol, rtol)
	}
	t.Logf("%d probabilities: max abs diff %.3g, max rel diff %.3g where ≥ 0.01", len(got), d.maxAbs, d.maxRel)
}

// (b) A negative Softmax axis is misread: onnx-go's 2-D coercion counts the
// axis from the front without normalizing it, so axis=−1 flattens the whole
// tensor into one row and normalizes over the whole batch.
func TestLimitSoftmaxNegativeAxis(t *testing.T) {
	cfg := softmaxCfg()
	b := marshal(t, withChannelSoftmaxLast(t, cfg, -1), 13)
	shape := []int{2, 1, cfg.Height, cfg.Width}
	x := mnist(t, 0, 2, cfg.Levels)
	got, gs := runGo(t, b, shape, x)
	want, _ := runORT(t, b, shape, x)
	if testenv.Close(got, want, atol, rtol) == nil {
		t.Fatal("onnx-go now reads Softmax axis=-1 right: update the test and README.md")
	}
	_, perImage := softmaxSums(got, gs)
	total := perImage[0] + perImage[1]
	if !(math.Abs(total-1) <= 1e-3) {
		t.Fatalf("onnx-go Softmax(axis=-1): the batch sums to %v, want 1 (normalized over everything); onnx-go changed, update README.md", total)
	}
	t.Logf("onnx-go Softmax(axis=-1) normalizes over N·H·W·Q: batch of 2 sums to %.4f, images to %.3f and %.3f", total, perImage[0], perImage[1])
}

// (c) External data: onnx-go's TensorProto predates external_data and
// data_location, so an initializer whose bytes live in a side file has no
// data for it, and UnmarshalBinary fails. (Loud, at least: it does not load
// zeros.) ORT runs the same file from its folder.
func TestLimitExternalData(t *testing.T) {
	cfg := testenv.Q256Config()
	dir := t.TempDir()
	b := withExternalData(t, marshal(t, pixelCNN(t, cfg), 13), dir, "model.onnx")
	_, err := loadGo(b)
	errorContains(t, "onnx-go UnmarshalBinary of a file with external data", err, "No data found")

	// The file is valid: ORT (which resolves "location" against the working
	// directory for a model given as bytes) gives the inline file's logits.
	t.Chdir(dir)
	shape := []int{1, 1, cfg.Height, cfg.Width}
	x := mnist(t, 0, 1, cfg.Levels)
	got, _ := runORT(t, b, shape, x)
	want, _ := runORT(t, marshal(t, pixelCNN(t, cfg), 13), shape, x)
	expectClose(t, "ORT external-data file vs inline file", got, want, 0, 0)
}
