package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestConformanceVsORT runs ONNX Runtime 1.30 on exactly the cases
// TestConformance selects (the out-of-scope ones included) at the same
// tolerance, and requires the Go runtime to pass at least as many cases as
// ONNX Runtime in every suite. Cases whose inputs the harness cannot feed to
// ORT (sequence and optional values) count as not measured for ORT.
func TestConformanceVsORT(t *testing.T) {
	if testing.Short() {
		t.Skip("short: runs ONNX Runtime on every conformance case")
	}
	cases, _ := conformanceCases(t)
	type tally struct{ ours, wrong, errs, scope, ort, unmeasured int }
	per := map[string]*tally{}
	var ortOnly, ortFails []string
	for _, c := range cases {
		tl := per[c.suite]
		if tl == nil {
			tl = &tally{}
			per[c.suite] = tl
		}
		oursOK := false
		switch _, err := runBackendCase(c.dir); {
		case c.skip != "":
			tl.scope++
		case err == nil:
			tl.ours++
			oursOK = true
		case errors.As(err, new(*wrongOutput)):
			tl.wrong++
		default:
			tl.errs++
		}
		err := runORTCase(t, c.dir)
		var nm notMeasured
		switch {
		case errors.As(err, &nm):
			tl.unmeasured++
		case err == nil:
			tl.ort++
			if !oursOK {
				ortOnly = append(ortOnly, c.name)
			}
		default:
			ortFails = append(ortFails, fmt.Sprintf("%s (%v)", c.name, firstLine(err)))
		}
	}
	for _, suite := range conformanceSuites {
		tl := per[suite]
		if tl == nil {
			continue
		}
		t.Logf("%s: Go runtime %d pass, %d wrong, %d errors, %d out of scope; ONNX Runtime %d pass (%d not measured)",
			suite, tl.ours, tl.wrong, tl.errs, tl.scope, tl.ort, tl.unmeasured)
		if tl.ours < tl.ort {
			t.Errorf("%s: the Go runtime passes %d cases, ONNX Runtime %d", suite, tl.ours, tl.ort)
		}
	}
	t.Logf("passed by ONNX Runtime only: %s", strings.Join(ortOnly, " "))
	t.Logf("failed by ONNX Runtime: %s", strings.Join(ortFails, "; "))
}

// notMeasured marks a case the harness cannot run in ONNX Runtime.
type notMeasured struct{ error }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return s
}

// runORTCase runs every data set of the case in ONNX Runtime and compares
// with the reference outputs at the suite's tolerance (the same comparison
// as runBackendCase: both decoded by export.UnmarshalTensor).
func runORTCase(t *testing.T, dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, "model.onnx"))
	if err != nil {
		return err
	}
	m := &onnxpb.ModelProto{}
	if err := proto.Unmarshal(b, m); err != nil {
		return err
	}
	inits := map[string]bool{}
	for _, in := range m.GetGraph().GetInitializer() {
		inits[in.GetName()] = true
	}
	var inNames, outNames []string
	for _, in := range m.GetGraph().GetInput() {
		if !inits[in.GetName()] {
			inNames = append(inNames, in.GetName())
		}
	}
	for _, out := range m.GetGraph().GetOutput() {
		outNames = append(outNames, out.GetName())
	}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	for _, ds := range sets {
		ins := make([]testenv.RawTensor, len(inNames))
		for i := range ins {
			tp, err := readProto(filepath.Join(ds, fmt.Sprintf("input_%d.pb", i)))
			if err != nil {
				return notMeasured{err}
			}
			if ins[i], err = rawOf(tp); err != nil {
				return notMeasured{err}
			}
		}
		outs := make([]testenv.RawTensor, len(outNames))
		wants := make([]*onnxpb.TensorProto, len(outNames))
		for i := range outs {
			tp, err := readProto(filepath.Join(ds, fmt.Sprintf("output_%d.pb", i)))
			if err != nil {
				return notMeasured{err}
			}
			wants[i] = tp
			outs[i] = testenv.RawTensor{Type: tp.GetDataType(), Shape: tp.GetDims()}
		}
		if err := testenv.RunORTRaw(t, filepath.Join(dir, "model.onnx"), inNames, ins, outNames, outs); err != nil {
			if errors.Is(err, testenv.ErrRawUnsupported) {
				return notMeasured{err}
			}
			return err
		}
		for i, want := range wants {
			if err := compareRaw(outs[i], want); err != nil {
				return fmt.Errorf("%s: output %s: %v", filepath.Base(ds), outNames[i], err)
			}
		}
	}
	return nil
}

// readProto reads a TensorProto file; sequence and optional files (which
// do not parse as one with a data type) are refused.
func readProto(path string) (*onnxpb.TensorProto, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	tp := &onnxpb.TensorProto{}
	if err := proto.Unmarshal(b, tp); err != nil || tp.GetDataType() == 0 {
		return nil, fmt.Errorf("%s is not a TensorProto (a sequence or optional value?)", path)
	}
	return tp, nil
}

// rawOf converts a TensorProto to raw little-endian bytes (or strings).
func rawOf(tp *onnxpb.TensorProto) (testenv.RawTensor, error) {
	r := testenv.RawTensor{Type: tp.GetDataType(), Shape: tp.GetDims()}
	switch {
	case tp.GetDataType() == int32(onnxpb.TensorProto_STRING):
		for _, s := range tp.GetStringData() {
			r.Strings = append(r.Strings, string(s))
		}
	case tp.RawData != nil:
		r.Data = tp.GetRawData()
	default:
		// Typed fields: decode them with our decoder and write raw_data
		// back (for the types it keeps as they are).
		b, err := proto.Marshal(tp)
		if err != nil {
			return r, err
		}
		_, t, err := export.UnmarshalTensor(b, nil)
		if err != nil {
			return r, err
		}
		if int32(t.DType) != r.Type {
			return r, fmt.Errorf("typed %v data", t.DType)
		}
		if b, err = export.MarshalTensor("", t); err != nil {
			return r, err
		}
		back := &onnxpb.TensorProto{}
		if err := proto.Unmarshal(b, back); err != nil {
			return r, err
		}
		r.Data = back.GetRawData()
	}
	return r, nil
}

// compareRaw compares ORT's output with the reference: strings exactly,
// anything else decoded by export.UnmarshalTensor and compared as
// runBackendCase does.
func compareRaw(got testenv.RawTensor, want *onnxpb.TensorProto) error {
	if got.Type == int32(onnxpb.TensorProto_STRING) {
		w := want.GetStringData()
		if len(w) != len(got.Strings) {
			return fmt.Errorf("%d strings, want %d", len(got.Strings), len(w))
		}
		for i := range w {
			if string(w[i]) != got.Strings[i] {
				return fmt.Errorf("[%d] %q, want %q", i, got.Strings[i], w[i])
			}
		}
		return nil
	}
	gp := &onnxpb.TensorProto{DataType: proto.Int32(got.Type), Dims: got.Shape, RawData: got.Data}
	gb, err := proto.Marshal(gp)
	if err != nil {
		return err
	}
	_, g, err := export.UnmarshalTensor(gb, nil)
	if err != nil {
		return err
	}
	wb, err := proto.Marshal(want)
	if err != nil {
		return err
	}
	_, w, err := export.UnmarshalTensor(wb, nil)
	if err != nil {
		return err
	}
	return testenv.CloseTensor(g, w, conformanceAtol, conformanceRtol)
}
