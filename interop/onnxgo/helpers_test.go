package onnxgo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/owulveryck/onnx-go"
	"github.com/owulveryck/onnx-go/backend/x/gorgonnx"
	"google.golang.org/protobuf/proto"
	"gorgonia.org/tensor"

	// Must come before anything that registers ONNX protobuf types; see its doc.
	_ "github.com/pixelgraph/pixelgraph/interop/onnxgo/internal/protoconflict"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// Tolerance of every onnx-go vs ONNX Runtime comparison: an element passes
// when |got − want| ≤ atol + rtol·|want|.
//
// Why 1e-4: both runtimes compute the same float32 convolutions, but in
// different summation orders (ORT's MLAS blocks and fuses its GEMMs; gorgonia
// runs im2col and a gonum GEMM, then adds the bias in a separate pass). Each
// dot product has up to 128·3·3 = 1152 terms (49 in the first layer), and 19
// (small) to 49 (seed) convolutions are chained, so rounding differences of a
// few float32 ulps (1.2e-7 relative) per layer add up to ~1e-6 on logits of
// magnitude ≲ 1 — the measured maximum is logged by each test and recorded
// in README.md. 1e-4 leaves two orders of magnitude of headroom, while any
// real mismatch (a transposed kernel, a lost mask, a missing bias, another
// Softmax axis) moves logits by 1e-2 or more; TestToleranceDiscriminates
// checks that two different inputs are far outside it.
const (
	atol = 1e-4
	rtol = 1e-4
)

// repoRoot is the main module's root (this module is interop/onnxgo in it).
var repoRoot string

func TestMain(m *testing.M) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	repoRoot = root
	// testenv looks for ONNX Runtime under the nearest go.mod, which here is
	// this nested module's; the install script puts it under the main one.
	if os.Getenv(testenv.EnvORTLib) == "" {
		if p := filepath.Join(root, testenv.ORTLibRelPath); isFile(p) {
			os.Setenv(testenv.EnvORTLib, p)
		}
	}
	os.Exit(m.Run())
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// The two models of issue 3: the seed (q = 4) and a small q = 256 one
// (testenv.Q256Config).
func seedConfig() graph.Config { return graph.DefaultConfig() }

func pixelCNN(t testing.TB, cfg graph.Config) *graph.Graph {
	t.Helper()
	g, err := graph.PixelCNN(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func marshal(t testing.TB, g *graph.Graph, opset int) []byte {
	t.Helper()
	b, err := export.Marshal(g, &export.Options{Opset: opset})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mnist returns n real MNIST test digits (from the slice committed in
// testdata/mnist), starting at image first, quantized to q levels and scaled
// to level/(q−1), as the model expects: N×1×28×28 row-major.
func mnist(t testing.TB, first, n, q int) []float32 {
	t.Helper()
	im, err := dataset.Load(filepath.Join(repoRoot, "testdata", "mnist"), dataset.Test)
	if err != nil {
		t.Fatal(err)
	}
	if first+n > im.N {
		t.Fatalf("need images %d..%d, the MNIST slice has %d", first, first+n-1, im.N)
	}
	pix := im.Slice(first, first+n).Pix
	lv := make([]uint8, len(pix))
	dataset.Quantize(lv, pix, q)
	x := make([]float32, len(lv))
	dataset.Scale(x, lv, q)
	return x
}

// goModel is a file loaded into onnx-go with the gorgonnx backend.
type goModel struct {
	m *onnx.Model
	g *gorgonnx.Graph
}

func loadGo(b []byte) (*goModel, error) {
	g := gorgonnx.NewGraph()
	m := onnx.NewModel(g)
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &goModel{m: m, g: g}, nil
}

// inputShape is the shape onnx-go derived from the file for input 0.
func (gm *goModel) inputShape() []int {
	return []int(gm.m.GetInputTensors()[0].Shape())
}

// set binds input 0 (float32 NCHW).
func (gm *goModel) set(shape []int, x []float32) error {
	return gm.m.SetInput(0, tensor.New(tensor.WithShape(shape...), tensor.Of(tensor.Float32), tensor.WithBacking(x)))
}

// output returns a copy of output 0 and its shape.
func (gm *goModel) output() ([]float32, []int, error) {
	outs, err := gm.m.GetOutputTensors()
	if err != nil {
		return nil, nil, err
	}
	if len(outs) != 1 || outs[0] == nil {
		return nil, nil, fmt.Errorf("onnx-go returned %d outputs, want 1", len(outs))
	}
	d, ok := outs[0].Data().([]float32)
	if !ok {
		return nil, nil, fmt.Errorf("onnx-go output is %T, want []float32", outs[0].Data())
	}
	return append([]float32(nil), d...), append([]int(nil), outs[0].Shape()...), nil
}

// run binds the input, runs the graph and returns output 0.
func (gm *goModel) run(shape []int, x []float32) ([]float32, []int, error) {
	if err := gm.set(shape, x); err != nil {
		return nil, nil, fmt.Errorf("SetInput: %w", err)
	}
	if err := gm.g.Run(); err != nil {
		return nil, nil, fmt.Errorf("Run: %w", err)
	}
	return gm.output()
}

// runGo loads b into a fresh onnx-go model (its batch is fixed by the first
// run, see TestLimitBatchFrozenAtFirstRun) and runs it once.
func runGo(t testing.TB, b []byte, shape []int, x []float32) ([]float32, []int) {
	t.Helper()
	gm, err := loadGo(b)
	if err != nil {
		t.Fatalf("onnx-go: UnmarshalBinary: %v", err)
	}
	y, s, err := gm.run(shape, x)
	if err != nil {
		t.Fatalf("onnx-go: %v", err)
	}
	return y, s
}

// runORT runs b in ONNX Runtime on input "pixels" and returns output 0.
func runORT(t testing.TB, b []byte, shape []int, x []float32) ([]float32, []int) {
	t.Helper()
	out, err := runORTErr(t, b, shape, x)
	if err != nil {
		t.Fatal(err)
	}
	return out.Data, ints(out.Shape)
}

func runORTErr(t testing.TB, b []byte, shape []int, x []float32) (testenv.ORTTensor, error) {
	t.Helper()
	s, err := testenv.NewORTSession(t, b, testenv.ORTOptions{})
	if err != nil {
		return testenv.ORTTensor{}, err
	}
	defer s.Close()
	out, err := s.Run(testenv.Float32(graph.InputName, int64s(shape), x))
	if err != nil {
		return testenv.ORTTensor{}, err
	}
	return out[0].Clone(), nil
}

func int64s(s []int) []int64 {
	r := make([]int64, len(s))
	for i, d := range s {
		r[i] = int64(d)
	}
	return r
}

func ints(s []int64) []int {
	r := make([]int, len(s))
	for i, d := range s {
		r[i] = int(d)
	}
	return r
}

// diff is how far got is from want, for the logs (pass or fail is
// testenv.AllClose's).
type diff struct {
	maxAbs float64 // max |got − want|
	maxRel float64 // max |got − want| / |want| over |want| ≥ 0.01
}

func maxDiff(got, want []float32) diff {
	var d diff
	for i := range min(len(got), len(want)) {
		g, w := float64(got[i]), float64(want[i])
		e := math.Abs(g - w)
		d.maxAbs = max(d.maxAbs, e)
		if math.Abs(w) >= 0.01 {
			d.maxRel = max(d.maxRel, e/math.Abs(w))
		}
	}
	return d
}

// expectClose stops the test unless got matches want within atol +
// rtol·|want| (testenv.AllClose), and returns how close they are.
func expectClose(t testing.TB, what string, got, want []float32, atol, rtol float64) diff {
	t.Helper()
	if !testenv.AllClose(t, got, want, atol, rtol, "%s", what) {
		t.FailNow()
	}
	return maxDiff(got, want)
}

func sameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// decode parses ONNX bytes with pixelgraph's protobuf types.
func decode(t testing.TB, b []byte) *onnxpb.ModelProto {
	t.Helper()
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		t.Fatal(err)
	}
	return m
}

func encode(t testing.TB, m *onnxpb.ModelProto) []byte {
	t.Helper()
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// marshalBatch is marshal with a fixed batch: export.Options.Batch, the
// file `pixelgraph export --batch n` writes (dim 0 of every graph input and
// output is dim_value n instead of the symbolic "N").
func marshalBatch(t testing.TB, g *graph.Graph, opset, n int) []byte {
	t.Helper()
	b, err := export.Marshal(g, &export.Options{Opset: opset, Batch: n})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withExternalData writes the file with every initializer's bytes moved to
// dir/<name>.data (ONNX external data: location relative to the model's
// folder, offset, length; data_location EXTERNAL) and the model itself to
// dir/<name>. It returns the model bytes.
func withExternalData(t testing.TB, b []byte, dir, name string) []byte {
	t.Helper()
	m := decode(t, b)
	var data []byte
	for _, init := range m.Graph.Initializer {
		raw := init.GetRawData()
		if raw == nil {
			t.Fatalf("initializer %s has no raw_data", init.GetName())
		}
		for len(data)%64 != 0 { // aligned like onnx's save_model
			data = append(data, 0)
		}
		init.ExternalData = []*onnxpb.StringStringEntryProto{
			{Key: proto.String("location"), Value: proto.String(name + ".data")},
			{Key: proto.String("offset"), Value: proto.String(strconv.Itoa(len(data)))},
			{Key: proto.String("length"), Value: proto.String(strconv.Itoa(len(raw)))},
		}
		init.DataLocation = onnxpb.TensorProto_EXTERNAL.Enum()
		init.RawData = nil
		data = append(data, raw...)
	}
	out := encode(t, m)
	if err := os.WriteFile(filepath.Join(dir, name+".data"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), out, 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// Helpers to extend a built graph by hand (the graph package's Builder has
// no Softmax or Transpose).

func intAttr(name string, v int64) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrInt, I: v}
}

func intsAttr(name string, v ...int64) graph.Attr {
	return graph.Attr{Name: name, Type: graph.AttrInts, Ints: v}
}

// appendNode adds op(x) as the new last node; its output is named out and
// has the given shape (dim 0 symbolic like x's).
func appendNode(g *graph.Graph, op, out string, x *graph.Value, shape []int, attrs ...graph.Attr) *graph.Value {
	y := &graph.Value{Name: out, DType: x.DType, Shape: shape, DimNames: append([]string(nil), x.DimNames...)}
	n := &graph.Node{Name: out, Op: op, Inputs: []*graph.Value{x}, Outputs: []*graph.Value{y}, Attrs: attrs}
	y.Producer = n
	g.Nodes = append(g.Nodes, n)
	return y
}

// withSoftmax returns the PixelCNN with a trailing Softmax(axis) on the
// logits; its output "probs" replaces "logits".
func withSoftmax(t testing.TB, cfg graph.Config, axis int64) *graph.Graph {
	t.Helper()
	g := pixelCNN(t, cfg)
	logits := g.Outputs[0]
	probs := appendNode(g, "Softmax", "probs", logits, logits.Shape, intAttr("axis", axis))
	g.Outputs = []*graph.Value{probs}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

// withChannelSoftmaxLast returns the PixelCNN with a channel softmax written
// the way both Softmax rules agree on: Transpose to NHWC, Softmax on the
// last axis (given as the positive 3 or the negative −1), Transpose back to
// NCHW. torch.onnx writes a channel softmax this way at opset < 13.
func withChannelSoftmaxLast(t testing.TB, cfg graph.Config, axis int64) *graph.Graph {
	t.Helper()
	g := pixelCNN(t, cfg)
	logits := g.Outputs[0]
	s := logits.Shape // [N, Q, H, W]
	nhwc := []int{s[0], s[2], s[3], s[1]}
	y := appendNode(g, "Transpose", "logits_nhwc", logits, nhwc, intsAttr("perm", 0, 2, 3, 1))
	y = appendNode(g, "Softmax", "probs_nhwc", y, nhwc, intAttr("axis", axis))
	y = appendNode(g, "Transpose", "probs", y, s, intsAttr("perm", 0, 3, 1, 2))
	g.Outputs = []*graph.Value{y}
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	return g
}

// softmaxSums returns, for an N×Q×H×W tensor, the sum over Q at each
// (n, h, w) and the sum over Q·H·W of each image.
func softmaxSums(p []float32, shape []int) (perPixel []float64, perImage []float64) {
	n, q, hw := shape[0], shape[1], shape[2]*shape[3]
	perPixel = make([]float64, n*hw)
	perImage = make([]float64, n)
	for i := 0; i < n; i++ {
		for c := 0; c < q; c++ {
			for j := 0; j < hw; j++ {
				v := float64(p[(i*q+c)*hw+j])
				perPixel[i*hw+j] += v
				perImage[i] += v
			}
		}
	}
	return perPixel, perImage
}

// errorContains fails unless err is non-nil and its text contains want.
func errorContains(t testing.TB, what string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: no error; onnx-go's behaviour changed, want an error containing %q (update the test and README.md)", what, want)
	}
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("%s: error %q does not contain %q; onnx-go's behaviour changed (update the test and README.md)", what, err, want)
	}
}
