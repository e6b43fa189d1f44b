package train

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestCheckpointInterop: a checkpoint, optimizer state inside, still passes
// the onnx checker's full_check, and ONNX Runtime loads it and computes the
// same logits as from the same weights exported without the state (the
// metadata is ignored). Missing tools fail the test (internal/testenv).
func TestCheckpointInterop(t *testing.T) {
	t.Parallel()
	tr, err := New(mustPixelCNN(t, testenv.SmallConfig()), Options{Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	fitSteps(t, tr, 2)
	dir := t.TempDir()
	ck, plain := filepath.Join(dir, "ck.onnx"), filepath.Join(dir, "plain.onnx")
	if err := SaveCheckpoint(ck, tr); err != nil {
		t.Fatal(err)
	}
	if err := export.WriteFile(plain, tr.Graph(), nil); err != nil {
		t.Fatal(err)
	}
	testenv.CheckModel(t, ck)
	x := make([]float32, 2*28*28)
	for i := range x {
		x[i] = float32(i%4) / 3
	}
	in := testenv.Float32("pixels", []int64{2, 1, 28, 28}, x)
	got, err := testenv.RunORTFile(t, ck, []testenv.ORTTensor{in})
	if err != nil {
		t.Fatalf("ONNX Runtime on the checkpoint: %v", err)
	}
	want, err := testenv.RunORTFile(t, plain, []testenv.ORTTensor{in})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got[0].Shape, []int64{2, 4, 28, 28}) || !slices.Equal(got[0].Data, want[0].Data) {
		t.Fatalf("checkpoint logits %v differ from the plain file's", got[0].Shape)
	}
}
