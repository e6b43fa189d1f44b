package onnxgo

// The exported PixelCNN loads and runs in onnx-go v0.5.0 (gorgonnx backend)
// and gives ONNX Runtime's logits there, on real MNIST digits.

import (
	"os"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
	"github.com/pixelgraph/pixelgraph/interop/onnxgo/internal/protoconflict"
)

type matchCase struct {
	name  string
	cfg   graph.Config
	opset int
	batch int
}

func matchCases() []matchCase {
	return []matchCase{
		{"seed/batch1", seedConfig(), 13, 1},
		{"seed/batch7", seedConfig(), 13, 7},
		{"small-q256/batch1", testenv.Q256Config(), 13, 1},
		{"small-q256/batch7", testenv.Q256Config(), 13, 7},
		{"small-q256/batch7/opset17", testenv.Q256Config(), 17, 7},
	}
}

// TestMatchesORT runs the file export.Marshal writes (symbolic batch "N")
// in onnx-go and in ONNX Runtime on the same quantized MNIST digits. onnx-go
// needs a fresh model per batch size, with a 4-D input bound before its
// first Run (see the limit tests).
func TestMatchesORT(t *testing.T) {
	for _, c := range matchCases() {
		t.Run(c.name, func(t *testing.T) {
			b := marshal(t, pixelCNN(t, c.cfg), c.opset)
			shape := []int{c.batch, 1, c.cfg.Height, c.cfg.Width}
			x := mnist(t, 0, c.batch, c.cfg.Levels)
			got, gotShape := runGo(t, b, shape, x)
			want, wantShape := runORT(t, b, shape, x)
			wantOut := []int{c.batch, c.cfg.Levels, c.cfg.Height, c.cfg.Width}
			if !sameShape(gotShape, wantOut) || !sameShape(wantShape, wantOut) {
				t.Fatalf("output shapes: onnx-go %v, ORT %v, want %v", gotShape, wantShape, wantOut)
			}
			d := expectClose(t, "onnx-go vs ORT logits", got, want, atol, rtol)
			t.Logf("%d logits: max abs diff %.3g, max rel diff %.3g where |ORT| ≥ 0.01 (tolerance %g + %g·|ORT|)", len(got), d.maxAbs, d.maxRel, atol, rtol)
		})
	}
}

// TestFixedBatchFile runs the file the fixed-batch export option writes
// (export.Options{Batch: n}, `pixelgraph export --batch n`): onnx-go then
// reports the real 4-D input shape, so a caller that sizes its input from
// the model works, and the logits match ORT's.
func TestFixedBatchFile(t *testing.T) {
	for _, c := range []matchCase{
		{"seed/batch1", seedConfig(), 13, 1},
		{"small-q256/batch7", testenv.Q256Config(), 13, 7},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := marshalBatch(t, pixelCNN(t, c.cfg), c.opset, c.batch)
			gm, err := loadGo(b)
			if err != nil {
				t.Fatalf("onnx-go: UnmarshalBinary: %v", err)
			}
			shape := gm.inputShape() // what a generic onnx-go caller does
			wantIn := []int{c.batch, 1, c.cfg.Height, c.cfg.Width}
			if !sameShape(shape, wantIn) {
				t.Fatalf("onnx-go input shape %v, want %v", shape, wantIn)
			}
			x := mnist(t, 10, c.batch, c.cfg.Levels)
			got, gotShape, err := gm.run(shape, x)
			if err != nil {
				t.Fatalf("onnx-go: %v", err)
			}
			want, wantShape := runORT(t, b, shape, x)
			if !sameShape(gotShape, wantShape) {
				t.Fatalf("output shapes: onnx-go %v, ORT %v", gotShape, wantShape)
			}
			d := expectClose(t, "onnx-go vs ORT logits", got, want, atol, rtol)
			t.Logf("%d logits: max abs diff %.3g, max rel diff %.3g where |ORT| ≥ 0.01", len(got), d.maxAbs, d.maxRel)
		})
	}
}

// TestToleranceDiscriminates shows the comparison above can fail: logits of
// two different digits are far outside the tolerance.
func TestToleranceDiscriminates(t *testing.T) {
	cfg := testenv.Q256Config()
	b := marshal(t, pixelCNN(t, cfg), 13)
	shape := []int{1, 1, cfg.Height, cfg.Width}
	got, _ := runGo(t, b, shape, mnist(t, 0, 1, cfg.Levels))
	other, _ := runORT(t, b, shape, mnist(t, 1, 1, cfg.Levels))
	err, d := testenv.Close(got, other, atol, rtol), maxDiff(got, other)
	if err == nil || d.maxAbs < 100*atol {
		t.Fatalf("logits of two different digits agree within the tolerance (max abs diff %.3g): the comparison cannot see a mismatch", d.maxAbs)
	}
	t.Logf("different digits: max abs diff %.3g; %v", d.maxAbs, err)
}

// TestProtoRegistrationConflictHandled documents why the test binary starts
// at all: pixelgraph's and onnx-go's generated ONNX types share the protobuf
// names onnx.*, which google.golang.org/protobuf refuses by default.
func TestProtoRegistrationConflictHandled(t *testing.T) {
	v := os.Getenv(protoconflict.Env)
	if v != "ignore" && v != "warn" {
		t.Fatalf("%s=%q; both generated ONNX packages are linked in, so it must be ignore or warn", protoconflict.Env, v)
	}
	t.Logf("%s=%s (set by internal/protoconflict: %v)", protoconflict.Env, v, protoconflict.Set)
}
