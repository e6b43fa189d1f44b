package export

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"

	"github.com/pixelgraph/pixelgraph/graph"
)

var updateTriton = flag.Bool("update", false, "rewrite testdata/triton/*.pbtxt")

// modelConfigDescriptor is the part of Triton's inference.ModelConfig
// (triton-inference-server/common, protobuf/model_config.proto) that our
// config.pbtxt uses, with the field names and numbers of that file; parsing
// a config into it rejects any field or enum value Triton would not know.
func modelConfigDescriptor(t *testing.T) protoreflect.MessageDescriptor {
	t.Helper()
	field := func(name string, num int32, typ descriptorpb.FieldDescriptorProto_Type, repeated bool, typeName string) *descriptorpb.FieldDescriptorProto {
		l := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL
		if repeated {
			l = descriptorpb.FieldDescriptorProto_LABEL_REPEATED
		}
		f := &descriptorpb.FieldDescriptorProto{Name: proto.String(name), Number: proto.Int32(num), Type: typ.Enum(), Label: l.Enum()}
		if typeName != "" {
			f.TypeName = proto.String(typeName)
		}
		return f
	}
	const (
		str   = descriptorpb.FieldDescriptorProto_TYPE_STRING
		i32   = descriptorpb.FieldDescriptorProto_TYPE_INT32
		i64   = descriptorpb.FieldDescriptorProto_TYPE_INT64
		u64   = descriptorpb.FieldDescriptorProto_TYPE_UINT64
		msg   = descriptorpb.FieldDescriptorProto_TYPE_MESSAGE
		enumT = descriptorpb.FieldDescriptorProto_TYPE_ENUM
	)
	var values []*descriptorpb.EnumValueDescriptorProto
	for i, n := range []string{"TYPE_INVALID", "TYPE_BOOL", "TYPE_UINT8", "TYPE_UINT16", "TYPE_UINT32", "TYPE_UINT64",
		"TYPE_INT8", "TYPE_INT16", "TYPE_INT32", "TYPE_INT64", "TYPE_FP16", "TYPE_FP32", "TYPE_FP64", "TYPE_STRING", "TYPE_BF16"} {
		values = append(values, &descriptorpb.EnumValueDescriptorProto{Name: proto.String(n), Number: proto.Int32(int32(i))})
	}
	fd := &descriptorpb.FileDescriptorProto{
		Name: proto.String("model_config_subset.proto"), Package: proto.String("inference"), Syntax: proto.String("proto3"),
		EnumType: []*descriptorpb.EnumDescriptorProto{{Name: proto.String("DataType"), Value: values}},
		MessageType: []*descriptorpb.DescriptorProto{
			{Name: proto.String("ModelInput"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, false, ""), field("data_type", 2, enumT, false, ".inference.DataType"), field("dims", 4, i64, true, "")}},
			{Name: proto.String("ModelOutput"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, false, ""), field("data_type", 2, enumT, false, ".inference.DataType"), field("dims", 3, i64, true, "")}},
			{Name: proto.String("ModelDynamicBatching"), Field: []*descriptorpb.FieldDescriptorProto{
				field("preferred_batch_size", 1, i32, true, ""), field("max_queue_delay_microseconds", 2, u64, false, "")}},
			{Name: proto.String("ModelConfig"), Field: []*descriptorpb.FieldDescriptorProto{
				field("name", 1, str, false, ""), field("platform", 2, str, false, ""), field("backend", 17, str, false, ""),
				field("max_batch_size", 4, i32, false, ""), field("input", 5, msg, true, ".inference.ModelInput"),
				field("output", 6, msg, true, ".inference.ModelOutput"),
				field("dynamic_batching", 11, msg, false, ".inference.ModelDynamicBatching")}},
		},
	}
	f, err := protodesc.NewFile(fd, nil)
	if err != nil {
		t.Fatal(err)
	}
	return f.Messages().ByName("ModelConfig")
}

func TestWriteTriton(t *testing.T) {
	c := graph.DefaultConfig()
	c.Filters, c.Hidden, c.Blocks, c.Head = 16, 8, 2, 16
	g, err := graph.PixelCNN(c)
	if err != nil {
		t.Fatal(err)
	}
	md := modelConfigDescriptor(t)
	for _, tc := range []struct {
		name, golden string
		batch        int
		maxBatch     int64
		inDims       []int64
		dynamic      bool
	}{
		{"symbolic batch: Triton batches dynamically", "dynamic.pbtxt", 0, 64, []int64{1, 28, 28}, true},
		{"fixed batch: no batching, full shapes", "fixed.pbtxt", 4, 0, []int64{4, 1, 28, 28}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := &Options{Batch: tc.batch}
			model, err := WriteTriton(dir, g, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if model != filepath.Join(dir, "pixelcnn") {
				t.Errorf("model folder %s", model)
			}
			onnx, err := os.ReadFile(filepath.Join(model, "1", "model.onnx"))
			if err != nil {
				t.Fatal(err)
			}
			if want, _ := Marshal(g, opts); !bytes.Equal(onnx, want) {
				t.Error("1/model.onnx differs from Marshal with the same options")
			}
			config, err := os.ReadFile(filepath.Join(model, "config.pbtxt"))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "triton", tc.golden)
			if *updateTriton {
				os.MkdirAll(filepath.Dir(golden), 0o755)
				if err := os.WriteFile(golden, config, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if want, err := os.ReadFile(golden); err != nil || !bytes.Equal(config, want) {
				t.Errorf("config.pbtxt differs from %s (go test ./export -run TestWriteTriton -update rewrites it; review the diff): %v\n%s", golden, err, config)
			}
			// Triton's schema accepts it, with the shapes of the ONNX file.
			m := dynamicpb.NewMessage(md)
			if err := prototext.Unmarshal(config, m); err != nil {
				t.Fatalf("config.pbtxt is not an inference.ModelConfig: %v", err)
			}
			get := func(name string) protoreflect.Value { return m.Get(md.Fields().ByName(protoreflect.Name(name))) }
			in := get("input").List().Get(0).Message()
			var dims []int64
			for i, l := 0, in.Get(in.Descriptor().Fields().ByName("dims")).List(); i < l.Len(); i++ {
				dims = append(dims, l.Get(i).Int())
			}
			if get("backend").String() != "onnxruntime" || get("max_batch_size").Int() != tc.maxBatch ||
				in.Get(in.Descriptor().Fields().ByName("name")).String() != "pixels" || !slices.Equal(dims, tc.inDims) ||
				m.Has(md.Fields().ByName("dynamic_batching")) != tc.dynamic {
				t.Errorf("parsed config: %v", prototext.Format(m))
			}
		})
	}
	if _, err := WriteTriton(t.TempDir(), g, nil, &TritonOptions{Name: "../up"}); err == nil {
		t.Error("a model name with a path was accepted")
	}
}
