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
	// Dropout with training_mode=1 and a ratio > 0 drops at random: the
	// reference comes from numpy's generator, which no runtime replays.
	"node/test_training_dropout":                    "random dropout (training); outputs depend on numpy's RNG",
	"node/test_training_dropout_default":            "random dropout (training); outputs depend on numpy's RNG",
	"node/test_training_dropout_default_mask":       "random dropout (training); outputs depend on numpy's RNG",
	"node/test_training_dropout_mask":               "random dropout (training); outputs depend on numpy's RNG",
	"node/test_identity_sequence":                   "sequence-typed input; graph.Tensor has no sequence type",
	"node/test_cast_BFLOAT16_to_FLOAT":              "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT_to_BFLOAT16":              "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_cast_FLOAT_to_STRING":                "string tensors; Cast converts numeric types only",
	"node/test_cast_STRING_to_FLOAT":                "string tensors; Cast converts numeric types only",
	"node/test_castlike_BFLOAT16_to_FLOAT_expanded": "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT_to_BFLOAT16_expanded": "bfloat16 tensors; graph.Tensor has no 16-bit float type",
	"node/test_castlike_FLOAT_to_STRING_expanded":   "string tensors; Cast converts numeric types only",
	"node/test_castlike_STRING_to_FLOAT_expanded":   "string tensors; Cast converts numeric types only",
}

// conformanceMinPass is, per suite, the number of cases of claimed ops that
// must pass; README states the total. The test fails when a count drops.
var conformanceMinPass = map[string]int{
	"node":              283,
	"pytorch-converted": 74,
	"pytorch-operator":  26,
	"simple":            5,
}

// Suite tolerance for float outputs (onnx/backend/test/runner: rtol 1e-3,
// atol 1e-7); integer outputs must be exact.
const (
	conformanceRtol = 1e-3
	conformanceAtol = 1e-7
)

// backendCase is one ONNX backend test of claimed ops.
type backendCase struct {
	name  string // "node/test_relu"
	suite string // "node"
	dir   string
	ops   map[string]bool
	skip  string // the reason, for a case out of scope
}

// conformanceSuites are the libonnx-testdata folders the conformance runs.
var conformanceSuites = []string{"node", "pytorch-converted", "pytorch-operator", "simple"}

// conformanceCases lists every backend test whose model uses only claimed
// ops (Ops) and counts the others.
func conformanceCases(t *testing.T) (cases []backendCase, unclaimed int) {
	t.Helper()
	root := testenv.BackendTestData(t) // fails with "apt-get install libonnx-testdata" when missing
	claimed := map[string]bool{}
	for _, op := range Ops() {
		claimed[op] = true
	}
	for _, suite := range conformanceSuites {
		dirs, err := filepath.Glob(filepath.Join(root, suite, "*"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(dirs)
		for _, dir := range dirs {
			if _, err := os.Stat(filepath.Join(dir, "model.onnx")); err != nil {
				continue
			}
			c := backendCase{name: suite + "/" + filepath.Base(dir), suite: suite, dir: dir, ops: map[string]bool{}}
			nodes, err := modelNodes(filepath.Join(dir, "model.onnx"))
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
				continue
			}
			all := true
			for _, n := range nodes {
				c.ops[n.GetOpType()] = true
				if (n.GetDomain() != "" && n.GetDomain() != "ai.onnx") || !claimed[n.GetOpType()] {
					all = false
				}
			}
			if !all || len(nodes) == 0 {
				unclaimed++
				continue
			}
			c.skip = conformanceSkips[c.name]
			cases = append(cases, c)
		}
	}
	return cases, unclaimed
}

// TestConformance runs every ONNX backend test whose model uses only claimed
// ops (Ops) through the runtime and compares with the reference outputs:
// node/* (opsets 6..18), and pytorch-converted/*, pytorch-operator/* and
// simple/* (opset 6 and 9 files, with the legacy attributes). Every case
// runs except those conformanceSkips lists with their reason; each must
// pass (0 wrong, 0 errors), and the pass count of each suite is at least
// conformanceMinPass.
func TestConformance(t *testing.T) {
	cases, unclaimed := conformanceCases(t)
	var ran, skipped []string
	perOp := map[string]int{}
	sets := 0
	seenSkip := map[string]bool{}
	passed := map[string]int{} // by suite
	for _, c := range cases {
		if c.skip != "" {
			seenSkip[c.name] = true
			skipped = append(skipped, fmt.Sprintf("%s (%s)", c.name, c.skip))
			continue
		}
		ran = append(ran, c.name)
		for op := range c.ops {
			perOp[op]++
		}
		if t.Run(c.name, func(t *testing.T) {
			n, err := runBackendCase(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			sets += n
		}) {
			passed[c.suite]++
		}
	}
	for suite, want := range conformanceMinPass {
		if passed[suite] < want {
			t.Errorf("suite %s: %d cases of claimed ops pass, want at least %d", suite, passed[suite], want)
		}
	}
	for name := range conformanceSkips {
		if !seenSkip[name] {
			t.Errorf("conformanceSkips lists %s, which is not a case of a claimed op: remove the entry", name)
		}
	}
	for _, op := range Ops() {
		if perOp[op] == 0 {
			t.Errorf("claimed op %s has no conformance case", op)
		}
	}
	var counts []string
	for _, op := range Ops() {
		counts = append(counts, fmt.Sprintf("%s:%d", op, perOp[op]))
	}
	for _, suite := range conformanceSuites {
		t.Logf("conformance: %s: %d pass", suite, passed[suite])
	}
	t.Logf("conformance: ran %d cases (%d data sets) of claimed ops; %d out of scope; %d cases use unclaimed ops",
		len(ran), sets, len(skipped), unclaimed)
	t.Logf("conformance: cases per op: %s", strings.Join(counts, " "))
	t.Logf("conformance: out of scope: %s", strings.Join(skipped, "; "))
}

// runBackendCase runs every test_data_set_* of one case through the runtime
// and returns their number, or the first failure: a load, compile or run
// error, or an output outside the suite's tolerance.
func runBackendCase(dir string) (int, error) {
	// The pytorch-converted, pytorch-operator and simple cases are opset 6
	// and 9 files; the runtime reads them with their opset's rules.
	g, err := export.DecodeFile(filepath.Join(dir, "model.onnx"), nil)
	if err != nil {
		return 0, fmt.Errorf("load: %v", err)
	}
	p, err := Compile(g)
	if err != nil {
		return 0, fmt.Errorf("compile: %v", err)
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	if len(sets) == 0 {
		return 0, fmt.Errorf("no test_data_set_* in %s", dir)
	}
	for _, ds := range sets {
		inputs := map[string]*graph.Tensor{}
		for i, v := range g.Inputs {
			x, err := readTensorFile(filepath.Join(ds, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				return 0, fmt.Errorf("%s: %v", filepath.Base(ds), err)
			}
			inputs[v.Name] = x
		}
		got, err := p.Run(context.Background(), inputs)
		if err != nil {
			return 0, fmt.Errorf("%s: run: %v", filepath.Base(ds), err)
		}
		for i, v := range g.Outputs {
			want, err := readTensorFile(filepath.Join(ds, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				return 0, fmt.Errorf("%s: %v", filepath.Base(ds), err)
			}
			if err := testenv.CloseTensor(got[v.Name], want, conformanceAtol, conformanceRtol); err != nil {
				return 0, &wrongOutput{fmt.Errorf("%s: output %s: %v", filepath.Base(ds), v.Name, err)}
			}
		}
	}
	return len(sets), nil
}

// wrongOutput is a result outside the tolerance (as opposed to an error).
type wrongOutput struct{ error }

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
