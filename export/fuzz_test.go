package export

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// Seeds of FuzzDecode: testdata/fuzz/seeds holds small models copied from
// Debian's libonnx-testdata (node and pytorch-converted tests, any exporter
// and opset) and a TensorProto; the rest is generated here or read from the
// torch.onnx fixtures. Crashers found by fuzzing live in
// testdata/fuzz/FuzzDecode and run with every `go test`.

// tinyConfig is the smallest PixelCNN worth fuzzing: a few hundred bytes of
// weights, so the mutator spends its time on structure.
func tinyConfig() graph.Config {
	c := graph.DefaultConfig()
	c.Levels, c.Height, c.Width = 4, 4, 4
	c.Filters, c.Hidden, c.Blocks, c.Head = 2, 1, 1, 2
	c.FirstKernel, c.BlockKernel = 3, 3
	return c
}

func fuzzSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	add := func(b []byte, err error) {
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	g, err := graph.PixelCNN(tinyConfig())
	if err != nil {
		f.Fatal(err)
	}
	g.Metadata = []graph.KV{{Key: "pixelgraph.train.step", Value: "7"}}
	add(Marshal(g, nil))
	add(Marshal(g, &Options{Opset: 17}))
	add(proto.Marshal(tinyProto()))
	add(proto.Marshal(foreignModel()))
	files, _ := filepath.Glob("testdata/fuzz/seeds/*")
	models, _ := filepath.Glob(filepath.Join(torchDir, "*", "model.onnx"))
	for _, p := range append(files, models...) {
		add(os.ReadFile(p))
	}
	return seeds
}

// FuzzDecode: Decode never panics or hangs, and whatever it accepts at an
// opset Encode writes (7 and up) encodes, and decodes and encodes again to
// the same bytes.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		opts := &DecodeOptions{MaxBytes: 1 << 20} // no folder: external data is refused
		g, err := Unmarshal(b, opts)
		if err != nil || g.Opset < MinOpset {
			return // opsets 1..6 decode for the runtime; Encode writes 7 and up
		}
		a, err := Marshal(g, nil)
		if err != nil {
			t.Fatalf("decoded graph does not encode: %v", err)
		}
		g2, err := Unmarshal(a, opts)
		if err != nil {
			t.Fatalf("re-encoded graph does not decode: %v", err)
		}
		c, err := Marshal(g2, nil)
		if err != nil {
			t.Fatalf("second encode: %v", err)
		}
		if !bytes.Equal(a, c) {
			t.Fatalf("decode → encode is not stable: %d bytes then %d", len(a), len(c))
		}
	})
}

// FuzzUnmarshalTensor: standalone TensorProto files never panic; what
// decodes has the values an independent parser reads (FLOAT and INT64), and
// encodes back to a tensor with the same name, dtype, shape and values, bit
// for bit.
func FuzzUnmarshalTensor(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	for _, s := range tensorSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		name, tt, err := UnmarshalTensor(b, &DecodeOptions{MaxBytes: 1 << 20})
		if err != nil {
			return
		}
		if _, err := matchesIndependentParse(b, tt); err != nil {
			t.Fatal(err)
		}
		a, err := MarshalTensor(name, tt)
		if err != nil {
			return // e.g. an unnamed tensor type the encoder does not write
		}
		name2, t2, err := UnmarshalTensor(a, nil)
		if err != nil {
			t.Fatalf("re-encoded tensor does not decode: %v", err)
		}
		if err := t2.Check(); err != nil {
			t.Fatalf("re-decoded tensor: %v", err)
		}
		if name2 != name {
			t.Fatalf("name %q, then %q", name, name2)
		}
		if err := sameValues(tt, t2); err != nil {
			t.Fatalf("tensor changed in encode → decode: %v", err)
		}
	})
}

// tensorSeeds are TensorProtos: the torch fixtures' inputs and outputs and
// one tensor of each element type MarshalTensor writes, with values that
// catch a lost, reordered or truncated element.
func tensorSeeds(f *testing.F) [][]byte {
	f.Helper()
	var seeds [][]byte
	files, _ := filepath.Glob(filepath.Join(torchDir, "*", "test_data_set_*", "*.pb"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	for _, x := range []struct {
		name string
		t    *graph.Tensor
	}{
		{"f32", graph.NewFloat32([]int{2, 3}, []float32{1.5, -2, 0, float32(math.Inf(1)), float32(math.Copysign(0, -1)), 3e-39})},
		{"f64", &graph.Tensor{DType: graph.Float64, Shape: []int{3}, F64: []float64{1e300, -1.25, 7}}},
		{"i64", graph.NewInt64([]int{2, 2}, []int64{math.MaxInt64, -1, 0, math.MinInt64})},
		{"i32", &graph.Tensor{DType: graph.Int32, Shape: []int{3}, I64: []int64{math.MaxInt32, -7, math.MinInt32}}},
		{"u8", &graph.Tensor{DType: graph.Uint8, Shape: []int{4}, I64: []int64{0, 1, 128, 255}}},
		{"b", &graph.Tensor{DType: graph.Bool, Shape: []int{1, 3}, I64: []int64{1, 0, 1}}},
		{"scalar", graph.NewFloat32([]int{}, []float32{42})},
		{"empty", graph.NewFloat32([]int{0, 5}, []float32{})},
	} {
		b, err := MarshalTensor(x.name, x.t)
		if err != nil {
			f.Fatalf("%s: %v", x.name, err)
		}
		seeds = append(seeds, b)
	}
	if len(files) == 0 {
		f.Fatalf("no TensorProto files under %s", torchDir)
	}
	return seeds
}

// FuzzDecodeMetadata mutates our pixelgraph.* metadata of a tiny model
// (config JSON, levels, mask map, one extra entry), where byte-level
// mutation of the whole file rarely reaches.
func FuzzDecodeMetadata(f *testing.F) {
	g, err := graph.PixelCNN(tinyConfig())
	if err != nil {
		f.Fatal(err)
	}
	base, err := toProto(g, nil)
	if err != nil {
		f.Fatal(err)
	}
	meta := map[string]string{}
	for _, kv := range base.MetadataProps {
		meta[kv.GetKey()] = kv.GetValue()
	}
	f.Add(meta[MetaConfig], meta[MetaLevels], meta[MetaMasks], "pixelgraph.train.step", "1")
	f.Add(`{"levels":256}`, "256", `{"in/W":"B","res00/b/W":"A"}`, MetaMasks, "{}")
	f.Add("null", "x", `{"in/B":"A"}`, "", "")
	f.Fuzz(func(t *testing.T, config, levels, masks, key, value string) {
		m := proto.Clone(base).(*onnxpb.ModelProto)
		set := map[string]string{MetaConfig: config, MetaLevels: levels, MetaMasks: masks}
		for _, kv := range m.MetadataProps {
			if v, ok := set[kv.GetKey()]; ok {
				kv.Value = proto.String(v)
			}
		}
		m.MetadataProps = append(m.MetadataProps, &onnxpb.StringStringEntryProto{Key: proto.String(key), Value: proto.String(value)})
		b, err := proto.Marshal(m)
		if err != nil {
			return // e.g. invalid UTF-8 in a string field
		}
		g, err := Unmarshal(b, nil)
		if err != nil {
			return
		}
		a, err := Marshal(g, nil)
		if err != nil {
			t.Fatalf("decoded graph does not encode: %v", err)
		}
		g2, err := Unmarshal(a, nil)
		if err != nil {
			t.Fatalf("re-encoded graph does not decode: %v", err)
		}
		if c, err := Marshal(g2, nil); err != nil || !bytes.Equal(a, c) {
			t.Fatalf("decode → encode is not stable (%v)", err)
		}
	})
}
