package export

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

func mustPixelCNN(t testing.TB, c graph.Config) *graph.Graph {
	t.Helper()
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestEncodeDeterministic(t *testing.T) {
	t.Parallel()
	a, err := Marshal(mustPixelCNN(t, testenv.TinyConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := Marshal(mustPixelCNN(t, testenv.TinyConfig()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("encoding the same graph twice gave different bytes")
	}
}

func TestEncodeModel(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.TinyConfig())
	for _, opset := range []int{13, 17} {
		raw, err := Marshal(g, &Options{Opset: opset})
		if err != nil {
			t.Fatal(err)
		}
		var m onnxpb.ModelProto
		if err := proto.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		if m.GetIrVersion() != 8 || len(m.OpsetImport) != 1 || m.OpsetImport[0].GetVersion() != int64(opset) || m.OpsetImport[0].GetDomain() != "" {
			t.Errorf("opset %d: ir %d opsets %v", opset, m.GetIrVersion(), m.OpsetImport)
		}
		if m.GetProducerName() != "pixelgraph" {
			t.Errorf("producer %q", m.GetProducerName())
		}
		gp := m.Graph
		if len(gp.Input) != 1 || gp.Input[0].GetName() != "pixels" {
			t.Fatalf("inputs %v", gp.Input)
		}
		dims := gp.Input[0].Type.GetTensorType().Shape.Dim
		if dims[0].GetDimParam() != "N" || dims[1].GetDimValue() != 1 || dims[2].GetDimValue() != 8 {
			t.Errorf("input dims %v", dims)
		}
		if gp.Output[0].GetName() != "logits" || gp.Output[0].Type.GetTensorType().Shape.Dim[1].GetDimValue() != 4 {
			t.Errorf("output %v", gp.Output[0])
		}
		for _, n := range gp.Node {
			switch n.GetOpType() {
			case "Conv":
				var names []string
				for _, a := range n.Attribute {
					names = append(names, a.GetName())
				}
				want := []string{"dilations", "group", "kernel_shape", "pads", "strides"}
				if len(names) != len(want) {
					t.Errorf("%s attributes %v, want exactly %v", n.GetName(), names, want)
				}
				for i := range want {
					if i < len(names) && names[i] != want[i] {
						t.Errorf("%s attributes %v, want exactly %v", n.GetName(), names, want)
					}
				}
			case "Relu", "Add":
			default:
				t.Errorf("unexpected op %s", n.GetOpType())
			}
		}
		// Every initializer is little-endian raw_data equal to the graph's.
		for i, tp := range gp.Initializer {
			v := g.Inits[i]
			if tp.GetName() != v.Name || len(tp.FloatData) != 0 || len(tp.RawData) != 4*v.Const.Len() {
				t.Fatalf("initializer %d: %s, %d raw bytes", i, tp.GetName(), len(tp.RawData))
			}
			for j, x := range v.Const.F32 {
				if got := math.Float32frombits(binary.LittleEndian.Uint32(tp.RawData[4*j:])); got != x {
					t.Fatalf("%s[%d] = %v, want %v", v.Name, j, got, x)
				}
			}
		}
	}
}

func TestEncodeMetadata(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.TinyConfig())
	g.Metadata = []graph.KV{{Key: "author", Value: "x"}, {Key: MetaLevels, Value: "stale"}}
	m, err := toProto(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	var keys []string
	for _, kv := range m.MetadataProps {
		got[kv.GetKey()] = kv.GetValue()
		keys = append(keys, kv.GetKey())
	}
	wantKeys := []string{MetaVersion, MetaConfig, MetaLevels, MetaInputScaling, MetaMasks, "author"}
	if len(keys) != len(wantKeys) {
		t.Fatalf("keys %v, want %v", keys, wantKeys)
	}
	for i := range keys {
		if keys[i] != wantKeys[i] {
			t.Fatalf("keys %v, want %v", keys, wantKeys)
		}
	}
	var c graph.Config
	if err := json.Unmarshal([]byte(got[MetaConfig]), &c); err != nil || c != testenv.TinyConfig() {
		t.Errorf("config %q: %v", got[MetaConfig], err)
	}
	if got[MetaLevels] != "4" {
		t.Errorf("levels %q", got[MetaLevels])
	}
	var masks map[string]string
	if err := json.Unmarshal([]byte(got[MetaMasks]), &masks); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"in/W": "A", "res00/b/W": "B", "res01/b/W": "B"}
	if len(masks) != len(want) {
		t.Errorf("masks %v, want %v", masks, want)
	}
	for k, v := range want {
		if masks[k] != v {
			t.Errorf("masks %v, want %v", masks, want)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.TinyConfig())
	if _, err := Marshal(g, &Options{Opset: 6}); err == nil {
		t.Error("opset 6 accepted")
	}
	g.Init("res00/b/W").Const.F32[8] = 1 // a hidden tap
	if _, err := Marshal(g, nil); err == nil {
		t.Error("a graph with a non-zero masked tap was encoded")
	}
}

func TestEncodeFixedBatch(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.TinyConfig())
	m, err := toProto(g, &Options{Batch: 7})
	if err != nil {
		t.Fatal(err)
	}
	for _, vi := range append(m.Graph.Input, m.Graph.Output...) {
		d := vi.Type.GetTensorType().Shape.Dim[0]
		if d.GetDimValue() != 7 || d.GetDimParam() != "" {
			t.Errorf("%s: dim 0 = %v, want 7", vi.GetName(), d)
		}
	}
	if _, err := toProto(g, &Options{Batch: -1}); err == nil {
		t.Error("batch -1 accepted")
	}
	// The default keeps the symbolic N.
	m, _ = toProto(g, nil)
	if p := m.Graph.Input[0].Type.GetTensorType().Shape.Dim[0].GetDimParam(); p != "N" {
		t.Errorf("default dim 0 param %q", p)
	}
}
