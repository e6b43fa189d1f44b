package runtime

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// conformanceSkips lists the backend test cases that use only claimed ops but
// are out of scope, with the reason. Every other case of a claimed op runs
// and must pass. A stale entry (case gone, or no longer claimed) fails.
var conformanceSkips = map[string]string{
	// Identity-16 on an optional<tensor> input: the runtime's values are
	// tensors only (no sequence or optional types).
	"node/test_identity_opt": "optional-typed input; graph.Tensor has no optional type",
	// Identity-16 on a sequence<tensor> input: same reason.
	"node/test_identity_sequence":                   "sequence-typed input; graph.Tensor has no sequence type",
	"node/test_cast_BFLOAT16_to_FLOAT":              "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_DOUBLE_to_FLOAT16":              "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT16_to_DOUBLE":              "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT16_to_FLOAT":               "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT_to_BFLOAT16":              "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT_to_FLOAT16":               "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT_to_STRING":                "string tensors; Cast converts numeric types only",
	"node/test_cast_STRING_to_FLOAT":                "string tensors; Cast converts numeric types only",
	"node/test_castlike_BFLOAT16_to_FLOAT_expanded": "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_DOUBLE_to_FLOAT16_expanded": "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT16_to_DOUBLE_expanded": "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT16_to_FLOAT_expanded":  "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT_to_BFLOAT16_expanded": "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT_to_FLOAT16_expanded":  "float16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT_to_STRING_expanded":   "string tensors; Cast converts numeric types only",
	"node/test_castlike_STRING_to_FLOAT_expanded":   "string tensors; Cast converts numeric types only",
}

// conformanceMinPass is, per suite, the number of cases of claimed ops that
// must pass; README states the total. The test fails when a count drops.
var conformanceMinPass = map[string]int{
	"node":              158,
	"pytorch-converted": 42,
	"pytorch-operator":  15,
	"simple":            5,
}

// Suite tolerance for float outputs (onnx/backend/test/runner: rtol 1e-3,
// atol 1e-7); integer outputs must be exact.
const (
	conformanceRtol = 1e-3
	conformanceAtol = 1e-7
)

// TestConformance runs every ONNX backend test whose model uses only claimed
// ops (Ops) through the runtime and compares with the reference outputs:
// node/* (opsets 11..16), and pytorch-converted/*, pytorch-operator/* and
// simple/* (opset 6 and 9 files, with the legacy broadcast attributes), which
// include the Conv cases of pytorch-converted.
func TestConformance(t *testing.T) {
	root := testenv.BackendTestData(t) // fails with "apt-get install libonnx-testdata" when missing
	var dirs []string
	for _, pat := range []string{"node/*", "pytorch-converted/*", "pytorch-operator/*", "simple/*"} {
		m, err := filepath.Glob(filepath.Join(root, pat))
		if err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, m...)
	}
	sort.Strings(dirs)
	claimed := map[string]bool{}
	for _, op := range Ops() {
		claimed[op] = true
	}
	var ran, skipped []string
	perOp := map[string]int{}
	unclaimed, sets := 0, 0
	seenSkip := map[string]bool{}
	passed := map[string]int{} // by suite
	for _, dir := range dirs {
		name, _ := filepath.Rel(root, dir)
		name = filepath.ToSlash(name)
		if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
			continue
		}
		nodes, err := modelNodes(filepath.Join(dir, "model.onnx"))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		ops := map[string]bool{}
		all := true
		for _, n := range nodes {
			ops[n.GetOpType()] = true
			if (n.GetDomain() != "" && n.GetDomain() != "ai.onnx") || !claimed[n.GetOpType()] {
				all = false
			}
		}
		if !all || len(ops) == 0 {
			unclaimed++
			continue
		}
		if reason, ok := conformanceSkips[name]; ok {
			seenSkip[name] = true
			skipped = append(skipped, fmt.Sprintf("%s (%s)", name, reason))
			continue
		}
		ran = append(ran, name)
		for op := range ops {
			perOp[op]++
		}
		if t.Run(name, func(t *testing.T) {
			sets += runBackendCase(t, dir)
		}) {
			passed[strings.SplitN(name, "/", 2)[0]]++
		}
	}
	for suite, want := range conformanceMinPass {
		if passed[suite] < want {
			t.Errorf("suite %s: %d cases of claimed ops pass, want at least %d", suite, passed[suite], want)
		}
	}
	for name := range conformanceSkips {
		if !seenSkip[name] {
			t.Errorf("conformanceSkips lists %s, which is not a case of a claimed op in %s: remove the entry", name, root)
		}
	}
	for op := range claimed {
		if perOp[op] == 0 {
			t.Errorf("claimed op %s has no conformance case", op)
		}
	}
	var counts []string
	for _, op := range Ops() {
		counts = append(counts, fmt.Sprintf("%s:%d", op, perOp[op]))
	}
	t.Logf("conformance: ran %d cases (%d data sets) of claimed ops from %s; %d skipped by table; %d cases use unclaimed ops",
		len(ran), sets, root, len(skipped), unclaimed)
	t.Logf("conformance: cases per op: %s", strings.Join(counts, " "))
	t.Logf("conformance: ran: %s", strings.Join(ran, " "))
	t.Logf("conformance: skipped: %s", strings.Join(skipped, "; "))
}

// runBackendCase runs every test_data_set_* of one case and returns their
// number.
func runBackendCase(t *testing.T, dir string) int {
	t.Helper()
	// The pytorch-converted, pytorch-operator and simple cases are opset 6
	// and 9 files; the runtime reads them with their opset's rules.
	g, err := export.DecodeFile(filepath.Join(dir, "model.onnx"), nil)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	p, err := Compile(g)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		t.Fatalf("no test_data_set_* in %s", dir)
	}
	for _, ds := range sets {
		inputs := map[string]*graph.Tensor{}
		for i, v := range g.Inputs {
			x, err := readTensorFile(filepath.Join(ds, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(ds), err)
			}
			inputs[v.Name] = x
		}
		got, err := p.Run(context.Background(), inputs)
		if err != nil {
			t.Fatalf("%s: run: %v", filepath.Base(ds), err)
		}
		for i, v := range g.Outputs {
			want, err := readTensorFile(filepath.Join(ds, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				t.Fatalf("%s: %v", filepath.Base(ds), err)
			}
			if err := testenv.CloseTensor(got[v.Name], want, conformanceAtol, conformanceRtol); err != nil {
				t.Errorf("%s: output %s: %v", filepath.Base(ds), v.Name, err)
			}
		}
	}
	return len(sets)
}

// modelNodes lists the nodes of an ONNX model file without decoding it, to
// select the cases whose ops are all claimed (the others may well not
// decode).
func modelNodes(path string) ([]*onnxpb.NodeProto, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return m.GetGraph().GetNode(), nil
}

// readTensorFile decodes a TensorProto file (input_0.pb, output_0.pb).
func readTensorFile(path string) (*graph.Tensor, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	_, t, err := export.UnmarshalTensor(b, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
