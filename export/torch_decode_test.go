package export

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// torchDir holds the torch.onnx fixtures (testdata/torch/make_fixtures.py).
const torchDir = "../testdata/torch"

// torchFixtures lists the fixture folders with their opset and batch mode.
var torchFixtures = []struct {
	name    string
	opset   int
	dynamic bool
}{
	{"opset11_static", 11, false}, {"opset11_dynamic", 11, true},
	{"opset13_static", 13, false}, {"opset13_dynamic", 13, true},
	{"opset17_static", 17, false}, {"opset17_dynamic", 17, true},
	{"opset11_softmax", 11, true}, {"opset13_softmax", 13, true}, {"opset17_softmax", 17, true},
	{"opset13_external", 13, true}, {"opset13_unfolded", 13, true},
}

func decodeTorch(t *testing.T, name string) *graph.Graph {
	t.Helper()
	g, err := DecodeFile(filepath.Join(torchDir, name, "model.onnx"), nil)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return g
}

func TestDecodeTorchFixtures(t *testing.T) {
	t.Parallel()
	for _, fx := range torchFixtures {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			g := decodeTorch(t, fx.name)
			if g.Producer != "pytorch" || g.Opset != fx.opset || g.Config != nil {
				t.Errorf("producer %q opset %d config %v", g.Producer, g.Opset, g.Config)
			}
			if len(g.Inputs) != 1 || len(g.Outputs) != 1 {
				t.Fatalf("%d inputs, %d outputs", len(g.Inputs), len(g.Outputs))
			}
			in, out := g.Inputs[0], g.Outputs[0]
			wantIn, wantOut := []int{2, 1, 8, 8}, []int{2, 4, 8, 8}
			if fx.dynamic {
				wantIn[0], wantOut[0] = -1, -1
				if len(in.DimNames) != 4 || in.DimNames[0] != "batch" {
					t.Errorf("input dim names %q, want batch first", in.DimNames)
				}
			}
			if in.Name != "pixels" || in.DType != graph.Float32 || !slices.Equal(in.Shape, wantIn) {
				t.Errorf("input %s %v", in.Name, in.TypeString())
			}
			if out.Name != "logits" || out.DType != graph.Float32 || !slices.Equal(out.Shape, wantOut) {
				t.Errorf("output %s %v", out.Name, out.TypeString())
			}
			convs := 0
			for _, n := range g.Nodes {
				if n.Op == "Conv" {
					convs++
				}
			}
			if convs != 10 { // in + 2 blocks × 3 + out1, out2, logits
				t.Errorf("%d Conv nodes, want 10", convs)
			}
			// Decode → encode → decode → encode is stable for foreign files too.
			a, err := Marshal(g, nil)
			if err != nil {
				t.Fatal(err)
			}
			g2, err := Unmarshal(a, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Marshal(g2, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Error("re-encoding a decoded torch model is not stable")
			}
			// The test data decodes to tensors of the declared shapes.
			for _, f := range []string{"input_0.pb", "output_0.pb"} {
				raw, err := os.ReadFile(filepath.Join(torchDir, fx.name, "test_data_set_0", f))
				if err != nil {
					t.Fatal(err)
				}
				name, tt, err := UnmarshalTensor(raw, nil)
				if err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				if name != in.Name && name != out.Name || tt.DType != graph.Float32 || len(tt.Shape) != 4 {
					t.Errorf("%s: %s %v %v", f, name, tt.DType, tt.Shape)
				}
			}
		})
	}
}

// lastOps returns the op types of g's last k nodes.
func lastOps(g *graph.Graph, k int) []string {
	var ops []string
	for _, n := range g.Nodes[len(g.Nodes)-k:] {
		ops = append(ops, n.Op)
	}
	return ops
}

func TestDecodeTorchSoftmax(t *testing.T) {
	t.Parallel()
	// Before opset 13 Softmax flattens from its axis, so torch.onnx moves the
	// channel axis last: Transpose(0,3,2,1) → Softmax(axis 3) → Transpose back.
	g := decodeTorch(t, "opset11_softmax")
	if got := lastOps(g, 4); !slices.Equal(got, []string{"Conv", "Transpose", "Softmax", "Transpose"}) {
		t.Fatalf("opset 11 tail %v", got)
	}
	tail := g.Nodes[len(g.Nodes)-3:]
	for _, n := range []*graph.Node{tail[0], tail[2]} {
		if p := n.IntsAttr("perm"); !slices.Equal(p, []int64{0, 3, 2, 1}) {
			t.Errorf("%s perm %v", n.Name, p)
		}
	}
	if ax := tail[1].IntAttr("axis", -99); ax != 3 {
		t.Errorf("opset 11 Softmax axis %d, want 3", ax)
	}
	if tail[2].Outputs[0] != g.Outputs[0] || tail[1].Inputs[0] != tail[0].Outputs[0] || tail[2].Inputs[0] != tail[1].Outputs[0] {
		t.Error("Transpose → Softmax → Transpose is not a chain ending in the output")
	}
	for _, name := range []string{"opset13_softmax", "opset17_softmax"} {
		g := decodeTorch(t, name)
		last := g.Nodes[len(g.Nodes)-1]
		if last.Op != "Softmax" || last.IntAttr("axis", -99) != 1 || last.Outputs[0] != g.Outputs[0] {
			t.Errorf("%s: last node %s axis %d", name, last.Op, last.IntAttr("axis", -99))
		}
	}
}

func TestDecodeTorchMaskFolding(t *testing.T) {
	t.Parallel()
	// With constant folding (torch's default) weight·mask is folded into
	// an initializer; without it the Mul nodes stay.
	g := decodeTorch(t, "opset13_unfolded")
	var muls []*graph.Node
	for _, n := range g.Nodes {
		if n.Op == "Mul" {
			muls = append(muls, n)
		}
	}
	if len(muls) != 3 {
		t.Fatalf("%d Mul nodes, want 3 (one per masked conv)", len(muls))
	}
	// torch.onnx deduplicates equal buffers: res.1.b.mask is an Identity of
	// res.0.b.mask, a node the decoder keeps.
	for _, m := range muls {
		mask := m.Inputs[1]
		if p := mask.Producer; p != nil && p.Op == "Identity" {
			mask = p.Inputs[0]
		}
		if !m.Inputs[0].IsConst() || !mask.IsConst() || !strings.HasSuffix(m.Inputs[1].Name, ".mask") {
			t.Errorf("%s: Mul(%s, %s)", m.Name, m.Inputs[0].Name, m.Inputs[1].Name)
		}
	}
	folded := decodeTorch(t, "opset13_dynamic")
	for _, n := range folded.Nodes {
		if n.Op == "Mul" {
			t.Errorf("folded model has Mul node %s", n.Name)
		}
	}
	// The folded mask-A weight has its hidden taps at exactly zero.
	w := folded.Nodes[0].Inputs[1]
	w.Mask = graph.MaskA
	if err := graph.CheckMask(w); err != nil {
		t.Errorf("folded first conv weight: %v", err)
	}
}

func TestDecodeTorchExternal(t *testing.T) {
	t.Parallel()
	ext := decodeTorch(t, "opset13_external")
	inline := decodeTorch(t, "opset13_dynamic")
	if len(ext.Inits) != len(inline.Inits) {
		t.Fatalf("%d initializers, inline has %d", len(ext.Inits), len(inline.Inits))
	}
	for i, v := range ext.Inits {
		w := inline.Inits[i]
		if v.Name != w.Name || !slices.Equal(v.Const.Shape, w.Const.Shape) || !slices.Equal(v.Const.F32, w.Const.F32) {
			t.Errorf("initializer %d: %s differs from inline %s", i, v.Name, w.Name)
		}
	}
	// Without a folder (plain Decode) external data cannot be found.
	f, err := os.Open(filepath.Join(torchDir, "opset13_external", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = Decode(f, nil)
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Field != "external_data" {
		t.Errorf("Decode without Dir: %v, want UnsupportedError on external_data", err)
	}
}

// withLocation copies the external fixture into a temp folder with every
// tensor's location set to loc.
func withLocation(t *testing.T, loc string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(torchDir, "opset13_external", "model.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	for _, tp := range m.Graph.Initializer {
		for _, kv := range tp.ExternalData {
			if kv.GetKey() == "location" {
				kv.Value = proto.String(loc)
			}
		}
	}
	out, err := proto.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin, err := os.ReadFile(filepath.Join(torchDir, "opset13_external", "weights.bin"))
	if err != nil {
		t.Fatal(err)
	}
	// The weights sit right outside the model's folder, reachable by "..".
	if err := os.WriteFile(filepath.Join(dir, "..", "x.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "model.onnx")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDecodeExternalRefusesEscapes(t *testing.T) {
	t.Parallel()
	for _, loc := range []string{"../x.bin", "/etc/passwd", "sub/../../x.bin", `..\x.bin`, "link.bin"} {
		t.Run(loc, func(t *testing.T) {
			t.Parallel()
			path := withLocation(t, loc)
			if loc == "link.bin" { // a symlink inside the folder pointing outside it
				if err := os.Symlink(filepath.Join(filepath.Dir(path), "..", "x.bin"), filepath.Join(filepath.Dir(path), "link.bin")); err != nil {
					t.Fatal(err) // every system the tests run on has symlinks
				}
			}
			_, err := DecodeFile(path, nil)
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("location %q: %v, want FormatError", loc, err)
			}
			if fe.Field != "external_data" || fe.Tensor == "" || fe.File != path || !strings.Contains(err.Error(), strconv.Quote(loc)) {
				t.Errorf("error does not name field, tensor and file: %v", err)
			}
		})
	}
	// The same layout with the weights inside the folder loads.
	path := withLocation(t, "ok.bin")
	bin, _ := os.ReadFile(filepath.Join(torchDir, "opset13_external", "weights.bin"))
	if err := os.WriteFile(filepath.Join(filepath.Dir(path), "ok.bin"), bin, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeFile(path, nil); err != nil {
		t.Errorf("location inside the folder: %v", err)
	}
}
