package export

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestDecodeBackendModels decodes every model and test tensor of the ONNX
// backend test data (Debian's libonnx-testdata). These files are valid ONNX,
// so a FormatError is a decoder bug; an UnsupportedError is fine (graph
// attributes, sequence types, strings, float8 ...) and is tallied by cause.
func TestDecodeBackendModels(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	root := testenv.BackendTestData(t)
	models, err := filepath.Glob(filepath.Join(root, "*", "*", "model.onnx"))
	if err != nil || len(models) == 0 {
		t.Fatalf("no backend models under %s (%v)", root, err)
	}
	var opts *DecodeOptions // opsets from 1: pytorch-converted and some simple cases are older than opset 7
	ok, unsupported := 0, map[string]int{}
	for _, p := range models {
		g, err := DecodeFile(p, opts)
		var fe *FormatError
		var ue *UnsupportedError
		switch {
		case err == nil:
			ok++
			checkTensorFiles(t, p)
			if g.Opset >= MinOpset {
				checkStable(t, p, g)
			}
		case errors.As(err, &ue):
			unsupported[ue.Msg]++
		case errors.As(err, &fe):
			t.Errorf("%s: %v", p, err)
		default:
			t.Errorf("%s: untyped error %v", p, err)
		}
	}
	var causes []string
	for msg, n := range unsupported {
		causes = append(causes, msg)
		_ = n
	}
	sort.Slice(causes, func(i, j int) bool { return unsupported[causes[i]] > unsupported[causes[j]] })
	t.Logf("%d models: %d decode, %d unsupported", len(models), ok, len(models)-ok)
	for i, c := range causes {
		if i == 8 {
			break
		}
		t.Logf("  %4d × %s", unsupported[c], c)
	}
}

// checkTensorFiles decodes the test data of a model that decoded. The
// suite also stores sequences and optionals as .pb files; those belong to
// models with such inputs, which are unsupported and not checked here.
func checkTensorFiles(t *testing.T, model string) {
	t.Helper()
	tensors, _ := filepath.Glob(filepath.Join(filepath.Dir(model), "test_data_set_*", "*.pb"))
	for _, p := range tensors {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var ue *UnsupportedError
		if _, _, err := UnmarshalTensor(b, nil); err != nil && !errors.As(err, &ue) {
			t.Errorf("%s: %v", p, err)
		}
	}
}

// checkStable: a decoded model encodes, and decode → encode is stable.
func checkStable(t *testing.T, model string, g *graph.Graph) {
	t.Helper()
	a, err := Marshal(g, nil)
	if err != nil {
		t.Errorf("%s: decoded graph does not encode: %v", model, err)
		return
	}
	g2, err := Unmarshal(a, nil)
	if err != nil {
		t.Errorf("%s: re-encoded graph does not decode: %v", model, err)
		return
	}
	if b, err := Marshal(g2, nil); err != nil || !bytes.Equal(a, b) {
		t.Errorf("%s: decode → encode is not stable (%v)", model, err)
	}
}
