package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// Bounds of FuzzCompile's runs: inputs and every value it computes stay
// small, so the fuzzer spends its time on structure, not on allocation.
const (
	fuzzMaxInput = 1 << 12 // elements of one input
	fuzzMaxValue = 1 << 18 // elements of a value whose static shape is known
)

// FuzzCompile: for any model Decode accepts, folding, shape inference and
// Compile never panic and fail only with typed errors; when a graph
// compiles, running its nodes on small inputs of the declared shapes either
// fails with an error or computes, for every value, the dtype and every dim
// static inference predicted (inference must never guess: a wrong static
// shape would let Fold compute a wrong constant).
//
// Seeds: the backend test models of the claimed ops (Debian's
// libonnx-testdata) and export's FuzzDecode seed files.
func FuzzCompile(f *testing.F) {
	for _, s := range compileSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		g, err := export.Unmarshal(b, &export.DecodeOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		checkCompile(t, g)
	})
}

// FuzzCompileValues is FuzzCompile with the structure kept and the values
// mutated: every integer attribute (pads, axes, strides, perm, ...) and
// every element of an integer initializer or Constant (Slice's starts,
// Gather's indices, Pad's pads, Reshape's shape) moves by a signed byte of
// delta, in order, so the fuzzer explores the values the new ops check
// without first having to rebuild a valid protobuf.
func FuzzCompileValues(f *testing.F) {
	for _, s := range compileSeeds(f) {
		f.Add(s, []byte{})
		f.Add(s, []byte{0x81, 0x7f, 3, 0xfd, 1, 0xff})
	}
	f.Fuzz(func(t *testing.T, b, delta []byte) {
		g, err := export.Unmarshal(b, &export.DecodeOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		next := func() int64 {
			if len(delta) == 0 {
				return 0
			}
			d := int64(int8(delta[0]))
			delta = delta[1:]
			return d
		}
		shift := func(v []int64) []int64 {
			out := append([]int64(nil), v...)
			for i := range out {
				out[i] += next()
			}
			return out
		}
		for _, n := range g.Nodes {
			for i, a := range n.Attrs {
				switch a.Type {
				case graph.AttrInt:
					n.Attrs[i].I += next()
				case graph.AttrInts:
					n.Attrs[i].Ints = shift(a.Ints)
				case graph.AttrTensor:
					if a.T != nil && a.T.DType == graph.Int64 {
						c := *a.T
						c.I64 = shift(a.T.I64)
						n.Attrs[i].T = &c
					}
				}
			}
		}
		for _, v := range g.Inits {
			if v.Const.DType == graph.Int64 {
				c := *v.Const
				c.I64 = shift(v.Const.I64)
				v.Const = &c
			}
		}
		checkCompile(t, g)
	})
}

// checkCompile is the property both fuzz targets check on a decoded graph:
// fold (static inference, constant evaluation) and Compile at the declared
// shapes, then fold again with every input's dims fixed to what fuzzInput
// feeds and run the nodes one by one, checking each value against both
// static descriptions (symbolic and concrete).
func checkCompile(t *testing.T, g *graph.Graph) {
	t.Helper()
	_, _, symbolic, err := fold(g, graph.OpsetOf(g), true)
	if err != nil {
		var ue *UnsupportedError
		var ne *NodeError
		if !errors.As(err, &ue) && !errors.As(err, &ne) {
			t.Fatalf("fold: untyped error %T: %v", err, err)
		}
		return
	}
	if _, err := Compile(g); err != nil {
		t.Fatalf("fold succeeded but Compile failed: %v", err)
	}
	byName := map[string]static{}
	for v, s := range symbolic {
		byName[v.Name] = s
	}
	inputs := map[string]*graph.Tensor{}
	for _, v := range g.Inputs {
		x := fuzzInput(v)
		if x == nil {
			return // a declaration too large or too vague to feed
		}
		inputs[v.Name] = x
		v.Shape, v.DimNames = x.Shape, nil // g is the fuzz iteration's own
	}
	folded, ks, st, err := fold(g, graph.OpsetOf(g), true)
	if err != nil {
		return // fixing a dim may expose an error (a Reshape that cannot fit)
	}
	vals := map[*graph.Value]*graph.Tensor{}
	for _, v := range folded.Inits {
		vals[v] = v.Const
		if err := agrees(byName[v.Name], v.Const); err != nil {
			t.Fatalf("folded %s: %v", v.Name, err)
		}
	}
	for _, v := range folded.Inputs {
		vals[v] = inputs[v.Name]
	}
	rc := &runCtx{}
	for i, n := range folded.Nodes {
		for _, o := range n.Outputs {
			if s := st[o]; o != nil && (!s.dimsKnown() || knownProduct(s.shape) > fuzzMaxValue) {
				return // too large, or of a size only the run knows: not run here
			}
		}
		ins := make([]*graph.Tensor, len(n.Inputs))
		for j, in := range n.Inputs {
			if in != nil {
				ins[j] = vals[in]
			}
		}
		outs, err := ks[i].run(rc, ins)
		if err != nil {
			return // e.g. an index out of range in the data fed
		}
		for j, o := range n.Outputs {
			if o == nil {
				continue
			}
			got := outs[j]
			if got == nil {
				t.Fatalf("node %q (%s): output %d is nil", n.Name, n.Op, j)
			}
			if err := got.Check(); err != nil {
				t.Fatalf("node %q (%s): output %d: %v", n.Name, n.Op, j, err)
			}
			if err := agrees(st[o], got); err != nil {
				t.Fatalf("node %q (%s): output %s, inputs fixed: %v", n.Name, n.Op, o.Name, err)
			}
			if err := agrees(byName[o.Name], got); err != nil {
				t.Fatalf("node %q (%s): output %s, declared inputs: %v", n.Name, n.Op, o.Name, err)
			}
			vals[o] = got
		}
	}
}

// agrees checks a computed tensor against its static description.
func agrees(s static, t *graph.Tensor) error {
	if s.dtype != graph.Undefined && s.dtype != t.DType {
		return fmt.Errorf("inferred dtype %v, computed %v", s.dtype, t.DType)
	}
	if s.shape != nil {
		if len(s.shape) != len(t.Shape) {
			return fmt.Errorf("inferred shape %v, computed %v", s.shape, t.Shape)
		}
		for i, d := range s.shape {
			if d >= 0 && d != t.Shape[i] {
				return fmt.Errorf("inferred shape %v, computed %v", s.shape, t.Shape)
			}
		}
	}
	if s.elems != nil {
		for i, k := range s.known {
			if k && (i >= len(t.I64) || t.I64[i] != s.elems[i]) {
				return fmt.Errorf("inferred elements %v (known %v), computed %v", s.elems, s.known, t.I64)
			}
		}
	}
	return nil
}

// fuzzInput returns a small deterministic tensor for a declared input
// (unknown dims become 2), or nil when the declaration is too vague or too
// large. Values are small: integers 0..2 (valid indices, shapes and axes
// more often than not), floats in [-0.75, 0.75].
func fuzzInput(v *graph.Value) *graph.Tensor {
	if v.Shape == nil || v.DType == graph.Undefined {
		return nil
	}
	shape := make([]int, len(v.Shape))
	n := 1
	for i, d := range v.Shape {
		if d < 0 {
			d = 2
		}
		shape[i] = d
		if d > 0 && n > fuzzMaxInput/d {
			return nil
		}
		n *= d
	}
	t := &graph.Tensor{DType: v.DType, Shape: shape}
	switch {
	case storesF32(v.DType):
		t.F32 = make([]float32, n)
		for i := range t.F32 {
			t.F32[i] = float32(i%7-3) / 4
		}
	case v.DType == graph.Float64:
		t.F64 = make([]float64, n)
		for i := range t.F64 {
			t.F64[i] = float64(i%7-3) / 4
		}
	case v.DType.IsInteger():
		t.I64 = make([]int64, n)
		for i := range t.I64 {
			t.I64[i] = int64(i % 3)
			if v.DType == graph.Bool {
				t.I64[i] = int64(i % 2)
			}
		}
	default:
		return nil
	}
	return t
}

// compileSeeds are the backend models of claimed ops and export's seed
// files.
func compileSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	add := func(path string) {
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	files, _ := filepath.Glob(filepath.Join("..", "export", "testdata", "fuzz", "seeds", "*.onnx"))
	for _, p := range files {
		add(p)
	}
	root := testenv.BackendTestData(f)
	for _, suite := range conformanceSuites {
		dirs, _ := filepath.Glob(filepath.Join(root, suite, "*"))
		for _, d := range dirs {
			p := filepath.Join(d, "model.onnx")
			nodes, err := modelNodes(p)
			if err != nil {
				continue
			}
			claimed := len(nodes) > 0
			for _, n := range nodes {
				if _, ok := ops[n.GetOpType()]; !ok {
					claimed = false
				}
			}
			if claimed {
				add(p)
			}
		}
	}
	return seeds
}
