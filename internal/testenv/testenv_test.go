package testenv

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/pixelgraph/pixelgraph/internal/ortlib"
)

// fakeTB records Fatal/Skip instead of ending the real test.
type fakeTB struct {
	testing.TB
	mu       sync.Mutex
	failed   bool
	skipped  bool
	msg      string
	cleanups []func()
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) end(failed bool, msg string) {
	f.mu.Lock()
	f.failed, f.skipped, f.msg = failed, !failed, msg
	f.mu.Unlock()
	runtime.Goexit()
}
func (f *fakeTB) Fatal(args ...any)                 { f.end(true, fmt.Sprint(args...)) }
func (f *fakeTB) Fatalf(format string, args ...any) { f.end(true, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Skip(args ...any)                  { f.end(false, fmt.Sprint(args...)) }
func (f *fakeTB) Skipf(format string, args ...any)  { f.end(false, fmt.Sprintf(format, args...)) }
func (f *fakeTB) Cleanup(fn func())                 { f.cleanups = append(f.cleanups, fn) }

// runFake runs fn with a fakeTB in its own goroutine (Fatal calls Goexit).
func runFake(t *testing.T, fn func(tb testing.TB)) *fakeTB {
	f := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
	return f
}

func TestUnavailablePolicy(t *testing.T) {
	cases := []struct {
		ci, optOut  string
		wantSkip    bool
		wantInMsg   []string
		wantNotInMs string
	}{
		{ci: "", optOut: "", wantInMsg: []string{"scripts/install-test-deps.sh", "PIXELGRAPH_NO_INTEROP=1", "apt-get install foo"}},
		{ci: "", optOut: "1", wantSkip: true, wantInMsg: []string{"PIXELGRAPH_NO_INTEROP=1"}},
		{ci: "true", optOut: "", wantInMsg: []string{"CI=true", "never skip"}, wantNotInMs: "ignored"},
		{ci: "true", optOut: "1", wantInMsg: []string{"CI=true", "PIXELGRAPH_NO_INTEROP=1 is set but ignored"}},
		{ci: "", optOut: "0", wantInMsg: []string{"scripts/install-test-deps.sh"}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("CI=%q,NO_INTEROP=%q", c.ci, c.optOut), func(t *testing.T) {
			t.Setenv("CI", c.ci)
			t.Setenv(EnvNoInterop, c.optOut)
			f := runFake(t, func(tb testing.TB) {
				Unavailable(tb, "foo", "not there", installHint+", or: apt-get install foo")
				t.Error("Unavailable returned")
			})
			if f.skipped != c.wantSkip || f.failed == c.wantSkip {
				t.Fatalf("skipped=%v failed=%v, want skip=%v; msg: %s", f.skipped, f.failed, c.wantSkip, f.msg)
			}
			for _, s := range c.wantInMsg {
				if !strings.Contains(f.msg, s) {
					t.Errorf("message lacks %q:\n%s", s, f.msg)
				}
			}
			if c.wantNotInMs != "" && strings.Contains(f.msg, c.wantNotInMs) {
				t.Errorf("message has %q:\n%s", c.wantNotInMs, f.msg)
			}
		})
	}
}

func TestORTLibraryFound(t *testing.T) {
	if os.Getenv(EnvORTLib) != "" {
		t.Skip(EnvORTLib + " is set")
	}
	p := ORTLibrary(t)
	if !strings.HasSuffix(p, ORTLibRelPath) {
		t.Errorf("ORTLibrary = %s, want .../%s", p, ORTLibRelPath)
	}
	root, err := ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, ORTLibRelPath); p != want {
		t.Errorf("ORTLibrary = %s, want %s", p, want)
	}
}

func TestORTLibraryMissing(t *testing.T) {
	// A module without .deps: the library is not found.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(dir, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(sub)
	t.Setenv(EnvORTLib, "")

	t.Setenv("CI", "")
	t.Setenv(EnvNoInterop, "")
	f := runFake(t, func(tb testing.TB) { ORTLibrary(tb) })
	if !f.failed {
		t.Fatalf("want failure, got skipped=%v msg=%s", f.skipped, f.msg)
	}
	for _, s := range []string{"scripts/install-test-deps.sh", "ONNXRUNTIME_NODE_INSTALL=skip npm install", "--ignore-scripts", "onnxruntime-node@" + ORTNpmVersion, "PIXELGRAPH_NO_INTEROP=1", filepath.Join(dir, ORTLibRelPath)} {
		if !strings.Contains(f.msg, s) {
			t.Errorf("message lacks %q:\n%s", s, f.msg)
		}
	}

	t.Setenv(EnvNoInterop, "1")
	if f := runFake(t, func(tb testing.TB) { ORTLibrary(tb) }); !f.skipped {
		t.Errorf("PIXELGRAPH_NO_INTEROP=1 outside CI: want skip, got failed=%v msg=%s", f.failed, f.msg)
	}

	t.Setenv("CI", "true")
	if f := runFake(t, func(tb testing.TB) { ORTLibrary(tb) }); !f.failed || !strings.Contains(f.msg, "ignored because CI=true") {
		t.Errorf("CI=true with PIXELGRAPH_NO_INTEROP=1: want failure saying so, got failed=%v msg=%s", f.failed, f.msg)
	}

	// An explicit wrong PIXELGRAPH_ORT_LIB fails even with the opt-out.
	t.Setenv("CI", "")
	t.Setenv(EnvORTLib, filepath.Join(dir, "nope.so"))
	if f := runFake(t, func(tb testing.TB) { ORTLibrary(tb) }); !f.failed || !strings.Contains(f.msg, EnvORTLib) {
		t.Errorf("wrong %s: want failure, got failed=%v msg=%s", EnvORTLib, f.failed, f.msg)
	}
}

func TestInitORTAndVersion(t *testing.T) {
	v := ORTVersion(t)
	t.Logf("ONNX Runtime %s from %s", v, ortlib.Loaded())
	if !strings.HasPrefix(v, "1.") {
		t.Errorf("ORT version %q", v)
	}
	InitORT(t) // second call is a no-op
}

func TestPythonChecker(t *testing.T) {
	py := PythonChecker(t)
	if os.Getenv(EnvPython) == "" && py != DefaultPython {
		t.Errorf("PythonChecker = %s, want %s", py, DefaultPython)
	}
	t.Logf("python onnx %s", PythonONNXVersion(t))

	t.Setenv(EnvPython, filepath.Join(t.TempDir(), "no-python"))
	t.Setenv("CI", "")
	t.Setenv(EnvNoInterop, "")
	f := runFake(t, func(tb testing.TB) { PythonChecker(tb) })
	if !f.failed || !strings.Contains(f.msg, "apt-get install python3-onnx") {
		t.Errorf("missing python: want failure mentioning apt-get install python3-onnx, got failed=%v msg=%s", f.failed, f.msg)
	}
}

func TestBackendTestData(t *testing.T) {
	dir := BackendTestData(t)
	if dir != DefaultBackendTestData {
		t.Errorf("BackendTestData = %s", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "node", "test_relu", "model.onnx")); err != nil {
		t.Error(err)
	}
}

// makeModels builds small models with the python onnx package, so these
// tests do not depend on the repo's own exporter.
func makeModels(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	_, err := RunPython(t, `
import sys, os, numpy as np, onnx
from onnx import helper, TensorProto, numpy_helper
d = sys.argv[1]
X = helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3])
K = helper.make_tensor_value_info("K", TensorProto.INT64, [2])
Y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 3])
S = helper.make_tensor_value_info("S", TensorProto.INT64, [2])
T = helper.make_tensor_value_info("T", TensorProto.FLOAT, [])
R = helper.make_tensor_value_info("R", TensorProto.FLOAT, ["a", "b"])
two = numpy_helper.from_array(np.array([2.0, 3.0, 4.0], dtype=np.float32), "C")
nodes = [
    helper.make_node("Mul", ["X", "C"], ["Y"]),
    helper.make_node("Shape", ["X"], ["S"]),
    helper.make_node("ReduceSum", ["X"], ["T"], keepdims=0),
    helper.make_node("Reshape", ["Y", "K"], ["R"]),
]
g = helper.make_graph(nodes, "g", [X, K], [Y, S, T, R], initializer=[two])
m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="testenv")
m.ir_version = 8
onnx.save(m, os.path.join(d, "good.onnx"))
bad_nodes = nodes[:1] + [helper.make_node("Relu", ["undefined_input"], ["S2"])]
bg = helper.make_graph(bad_nodes, "bad", [X, K], [Y, helper.make_tensor_value_info("S2", TensorProto.FLOAT, ["N", 3])], initializer=[two])
b = helper.make_model(bg, opset_imports=[helper.make_opsetid("", 13)])
b.ir_version = 8
onnx.save(b, os.path.join(d, "bad.onnx"))
`, dir)
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckModel(t *testing.T) {
	dir := makeModels(t)
	good, bad := filepath.Join(dir, "good.onnx"), filepath.Join(dir, "bad.onnx")
	CheckModel(t, good)
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	CheckModelBytes(t, b)

	err = CheckModelError(t, bad)
	if err == nil {
		t.Fatal("checker accepted a model whose node reads an undefined input")
	}
	if !strings.Contains(err.Error(), "undefined_input") {
		t.Errorf("error does not name the undefined input:\n%v", err)
	}
	t.Logf("rejection: %v", err)
	if f := runFake(t, func(tb testing.TB) { CheckModel(tb, bad) }); !f.failed || !strings.Contains(f.msg, "undefined_input") {
		t.Errorf("CheckModel(bad): failed=%v msg=%s", f.failed, f.msg)
	}
	if err := CheckModelError(t, filepath.Join(dir, "missing.onnx")); err == nil {
		t.Error("checker accepted a missing file")
	}
}

// pythonDump reads TensorProto files with onnx.numpy_helper.
func pythonDump(t *testing.T, paths ...string) []struct {
	Name  string
	Shape []int64
	Data  []float64
} {
	t.Helper()
	out, err := RunPython(t, `
import sys, json, onnx
from onnx import numpy_helper
res = []
for p in sys.argv[1:]:
    tp = onnx.TensorProto()
    with open(p, "rb") as f:
        tp.ParseFromString(f.read())
    a = numpy_helper.to_array(tp)
    res.append({"Name": tp.name, "Shape": list(a.shape), "Data": [float(v) for v in a.ravel()]})
print(json.dumps(res))
`, paths...)
	if err != nil {
		t.Fatal(err)
	}
	var res []struct {
		Name  string
		Shape []int64
		Data  []float64
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func TestReluBackendCase(t *testing.T) {
	c := LoadBackendCase(t, "test_relu")
	if len(c.DataSets) == 0 || len(c.DataSets[0].Inputs) != 1 || len(c.DataSets[0].Outputs) != 1 {
		t.Fatalf("unexpected test_relu layout: %+v", c)
	}
	ds := c.DataSets[0]

	// The Go TensorProto reader agrees with onnx.numpy_helper.
	py := pythonDump(t, filepath.Join(ds.Dir, "input_0.pb"), filepath.Join(ds.Dir, "output_0.pb"))
	for i, x := range []ORTTensor{ds.Inputs[0], ds.Outputs[0]} {
		want := ORTTensor{Name: py[i].Name, Shape: py[i].Shape}
		for _, v := range py[i].Data {
			want.Data = append(want.Data, float32(v))
		}
		if x.Name != want.Name {
			t.Errorf("name %q, python says %q", x.Name, want.Name)
		}
		if err := CompareTensors(x, want, 0, 0); err != nil {
			t.Errorf("Go reader vs numpy_helper: %v", err)
		}
	}

	got, err := RunORTFile(t, c.ModelPath, ds.Inputs)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != ds.Outputs[0].Name {
		t.Fatalf("outputs %v, want %v", got, ds.Outputs)
	}
	// Relu only copies or zeroes: 1e-6 relative is room for nothing but
	// a different float formatting of the same value.
	if err := CompareTensors(got[0], ds.Outputs[0], 0, 1e-6); err != nil {
		t.Fatal(err)
	}
	// Relu really happened: negative inputs became 0.
	neg := 0
	for i, v := range ds.Inputs[0].Data {
		if v < 0 {
			neg++
			if got[0].Data[i] != 0 {
				t.Fatalf("relu(%g) = %g", v, got[0].Data[i])
			}
		}
	}
	if neg == 0 {
		t.Fatal("test data has no negative input; the comparison proves little")
	}
}

func TestBackendCasesInORT(t *testing.T) {
	for _, name := range []string{
		"test_add", "test_matmul_2d", "test_sigmoid", "test_softmax_axis_1",
		"test_conv_with_strides_padding", "test_reshape_reduced_dims", // int64 input
		"test_argmax_default_axis_example", // int64 output
		"test_gather_0",                    // int64 indices
		"test_reduce_sum_default_axes_keepdims_example",
	} {
		t.Run(name, func(t *testing.T) {
			c := LoadBackendCase(t, name)
			s, err := NewORTSessionFile(t, c.ModelPath, ORTOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, ds := range c.DataSets {
				got, err := s.Run(ds.Inputs...)
				if err != nil {
					t.Fatalf("%s: %v", ds.Dir, err)
				}
				if len(got) != len(ds.Outputs) {
					t.Fatalf("%d outputs, want %d", len(got), len(ds.Outputs))
				}
				for i := range got {
					// ORT against numpy's float32/float64 reference outputs:
					// the backend suite's own bar is rtol 1e-3, atol 1e-7.
					if err := CompareTensors(got[i], ds.Outputs[i], 1e-6, 1e-5); err != nil {
						t.Errorf("%s: %v", ds.Dir, err)
					}
				}
			}
		})
	}
}

func TestORTSession(t *testing.T) {
	dir := makeModels(t)
	model, err := os.ReadFile(filepath.Join(dir, "good.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewORTSession(t, model, ORTOptions{IntraOpThreads: 2})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(s.Inputs[0].Shape) != "[-1 3]" || len(s.Outputs) != 4 {
		t.Fatalf("inputs %+v outputs %+v", s.Inputs, s.Outputs)
	}
	run := func(n int, scale float32) []ORTTensor {
		t.Helper()
		x := Float32("X", []int64{int64(n), 3}, make([]float32, 3*n))
		for i := range x.Data {
			x.Data[i] = scale * float32(i)
		}
		k := ORTTensor{Name: "K", Shape: []int64{2}, Int64: []int64{3, int64(n)}}
		out, err := s.Run(k, x) // named inputs, any order
		if err != nil {
			t.Fatal(err)
		}
		y, shp, sum, r := out[0], out[1], out[2], out[3]
		if fmt.Sprint(y.Shape) != fmt.Sprintf("[%d 3]", n) || fmt.Sprint(shp.Int64) != fmt.Sprintf("[%d 3]", n) ||
			len(sum.Shape) != 0 || fmt.Sprint(r.Shape) != fmt.Sprintf("[3 %d]", n) {
			t.Fatalf("n=%d: shapes Y%v S=%v T%v R%v", n, y.Shape, shp.Int64, sum.Shape, r.Shape)
		}
		var total float32
		for i, v := range x.Data {
			total += v
			if want := v * []float32{2, 3, 4}[i%3]; y.Data[i] != want || r.Data[i] != want {
				t.Fatalf("n=%d: Y[%d]=%g R[%d]=%g, want %g", n, i, y.Data[i], i, r.Data[i], want)
			}
		}
		if sum.Data[0] != total {
			t.Fatalf("n=%d: T=%g, want %g", n, sum.Data[0], total)
		}
		return out
	}
	run(2, 1)
	run(2, -1) // reuses buffers
	run(5, 0.5)
	run(1, 3)

	// Positional inputs (all unnamed) are in model order.
	if _, err := s.Run(ORTTensor{Shape: []int64{1, 3}, Data: []float32{1, 2, 3}}, ORTTensor{Shape: []int64{2}, Int64: []int64{3, 1}}); err != nil {
		t.Fatal(err)
	}
	// Errors are reported, not crashes.
	for name, in := range map[string][]ORTTensor{
		"wrong type":   {Float32("X", []int64{1, 3}, []float32{1, 2, 3}), Float32("K", []int64{2}, []float32{3, 1})},
		"wrong count":  {Float32("X", []int64{1, 3}, []float32{1, 2, 3})},
		"wrong length": {Float32("X", []int64{1, 3}, []float32{1, 2}), {Name: "K", Shape: []int64{2}, Int64: []int64{3, 1}}},
		"wrong dim":    {Float32("X", []int64{1, 4}, []float32{1, 2, 3, 4}), {Name: "K", Shape: []int64{2}, Int64: []int64{4, 1}}},
		"bad reshape":  {Float32("X", []int64{1, 3}, []float32{1, 2, 3}), {Name: "K", Shape: []int64{2}, Int64: []int64{7, 1}}},
		"unknown name": {Float32("Q", []int64{1, 3}, []float32{1, 2, 3}), {Name: "K", Shape: []int64{2}, Int64: []int64{3, 1}}},
	} {
		if _, err := s.Run(in...); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
	run(2, 2) // still usable after errors

	// Reused runs allocate little.
	x := Float32("X", []int64{4, 3}, make([]float32, 12))
	k := ORTTensor{Name: "K", Shape: []int64{2}, Int64: []int64{3, 4}}
	allocs := testing.AllocsPerRun(20, func() {
		if _, err := s.Run(x, k); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per reused Run: %.0f", allocs)
	if allocs > 20 {
		t.Errorf("%.0f allocations per reused Run", allocs)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(x, k); err == nil {
		t.Error("Run after Close succeeded")
	}
}

func TestRunORTOutputSelection(t *testing.T) {
	dir := makeModels(t)
	model, err := os.ReadFile(filepath.Join(dir, "good.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	in := []ORTTensor{Float32("X", []int64{1, 3}, []float32{1, 1, 1}), {Name: "K", Shape: []int64{2}, Int64: []int64{3, 1}}}
	out, err := RunORT(t, model, in, "T", "Y")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Name != "T" || out[0].Data[0] != 3 || out[1].Name != "Y" || fmt.Sprint(out[1].Data) != "[2 3 4]" {
		t.Fatalf("got %v %v", out, out[1].Data)
	}
	if _, err := RunORT(t, model, in, "nope"); err == nil {
		t.Error("unknown output name accepted")
	}
	if _, err := RunORT(t, []byte("not a model"), in); err == nil {
		t.Error("garbage model accepted")
	}
}

func TestParseTensorProtoErrors(t *testing.T) {
	if _, err := ParseTensorProto([]byte{0xff}); err == nil {
		t.Error("truncated proto accepted")
	}
	// dims=[2], data_type=FLOAT, float_data packed with one element: length mismatch.
	b := []byte{0x08, 0x02, 0x10, 0x01, 0x22, 0x04, 0, 0, 0x80, 0x3f}
	if _, err := ParseTensorProto(b); err == nil {
		t.Error("element count mismatch accepted")
	}
	b[1] = 1
	x, err := ParseTensorProto(b)
	if err != nil || fmt.Sprint(x.Shape, x.Data) != "[1] [1]" {
		t.Errorf("got %v %v %v", x.Shape, x.Data, err)
	}
	// data_type=DOUBLE is reported as unsupported.
	if _, err := ParseTensorProto([]byte{0x08, 0x01, 0x10, 0x0b}); err == nil || !strings.Contains(err.Error(), "data_type 11") {
		t.Errorf("double: %v", err)
	}
}

func BenchmarkORTSessionRun(b *testing.B) {
	c := LoadBackendCase(b, "test_conv_with_strides_padding")
	s, err := NewORTSessionFile(b, c.ModelPath, ORTOptions{IntraOpThreads: 1})
	if err != nil {
		b.Fatal(err)
	}
	in := c.DataSets[0].Inputs
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(in...); err != nil {
			b.Fatal(err)
		}
	}
}
