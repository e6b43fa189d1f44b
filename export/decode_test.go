package export

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/testenv"
)

// TestDecodeRoundTrip: export → import → export gives the same bytes, and
// the imported graph carries the config and mask kinds.
func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, opset := range []int{0, 13, 17, 21} {
		g := mustPixelCNN(t, testenv.TinyConfig())
		g.Metadata = []graph.KV{{Key: "pixelgraph.train.step", Value: "42"}, {Key: "author", Value: "x"}}
		a, err := Marshal(g, &Options{Opset: opset})
		if err != nil {
			t.Fatal(err)
		}
		d, err := Unmarshal(a, nil)
		if err != nil {
			t.Fatalf("opset %d: %v", opset, err)
		}
		b, err := Marshal(d, nil)
		if err != nil {
			t.Fatalf("opset %d: re-encode: %v", opset, err)
		}
		if !bytes.Equal(a, b) {
			t.Errorf("opset %d: export → import → export changed the bytes (%d → %d)", opset, len(a), len(b))
		}
		want := opset
		if want == 0 {
			want = graph.DefaultOpset
		}
		if d.Opset != want || d.Producer != Producer {
			t.Errorf("opset %d: decoded opset %d producer %q", opset, d.Opset, d.Producer)
		}
		if d.Config == nil || *d.Config != testenv.TinyConfig() {
			t.Errorf("opset %d: config %+v, want %+v", opset, d.Config, testenv.TinyConfig())
		}
		if v := d.Init("in/W"); v == nil || v.Mask != graph.MaskA {
			t.Errorf("opset %d: in/W mask not restored: %+v", opset, v)
		}
		if v := d.Init("res01/b/W"); v == nil || v.Mask != graph.MaskB {
			t.Errorf("opset %d: res01/b/W mask not restored", opset)
		}
		if len(d.Metadata) != 2 || d.Metadata[0].Key != "pixelgraph.train.step" {
			t.Errorf("opset %d: metadata %v", opset, d.Metadata)
		}
		in := d.Inputs[0]
		if in.Name != graph.InputName || in.Shape[0] != -1 || in.DimNames[0] != graph.BatchDim {
			t.Errorf("opset %d: input %s %v %v", opset, in.Name, in.Shape, in.DimNames)
		}
	}
}

// TestDecodeDump: the decoded graph prints like the built one (the dump
// shows config-free structure, initializers with mask kinds, nodes).
func TestDecodeDump(t *testing.T) {
	t.Parallel()
	g := mustPixelCNN(t, testenv.TinyConfig())
	raw, err := Marshal(g, nil)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Unmarshal(raw, nil)
	if err != nil {
		t.Fatal(err)
	}
	var want, got bytes.Buffer
	if err := graph.Dump(&want, g); err != nil {
		t.Fatal(err)
	}
	if err := graph.Dump(&got, d); err != nil {
		t.Fatal(err)
	}
	// Only the decoded graph knows its opset and producer.
	gotS := strings.Replace(got.String(), "opset 13\nproducer pixelgraph\n", "", 1)
	if want.String() != gotS {
		t.Errorf("dump of the decoded graph differs:\n%s\nwant:\n%s", got.String(), want.String())
	}
}

// TestDecodeRoundTripFixedBatch: a file exported with a fixed batch keeps
// it through import and export without options.
func TestDecodeRoundTripFixedBatch(t *testing.T) {
	t.Parallel()
	a, err := Marshal(mustPixelCNN(t, testenv.TinyConfig()), &Options{Batch: 3})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Unmarshal(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	if in := d.Inputs[0]; in.Shape[0] != 3 || in.DimNames != nil {
		t.Errorf("input %v", in.TypeString())
	}
	if b, err := Marshal(d, nil); err != nil || !bytes.Equal(a, b) {
		t.Errorf("fixed-batch export → import → export changed the bytes (%v)", err)
	}
}

func TestDecodeNil(t *testing.T) {
	t.Parallel()
	_, err := Unmarshal(nil, nil)
	var fe *FormatError
	if !errors.As(err, &fe) {
		t.Fatalf("empty input: %v, want FormatError", err)
	}
}
