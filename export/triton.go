package export

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// TritonOptions configure WriteTriton. The zero value of each field is its
// documented default.
type TritonOptions struct {
	// Name is the model's folder and config name; default "pixelcnn".
	Name string
	// MaxBatch is max_batch_size when the file's batch dimension is
	// symbolic; default 64. A fixed batch (Options.Batch) writes 0: Triton
	// then passes the full shapes and does not batch.
	MaxBatch int
	// QueueDelayMicroseconds is dynamic_batching's max_queue_delay_microseconds
	// (how long Triton waits to fill a batch); default 100.
	QueueDelayMicroseconds int
}

// tritonType is Triton's DataType for the ONNX element types a config may name.
var tritonType = map[onnxpb.TensorProto_DataType]string{
	onnxpb.TensorProto_FLOAT: "TYPE_FP32", onnxpb.TensorProto_FLOAT16: "TYPE_FP16",
	onnxpb.TensorProto_DOUBLE: "TYPE_FP64", onnxpb.TensorProto_INT64: "TYPE_INT64",
	onnxpb.TensorProto_INT32: "TYPE_INT32", onnxpb.TensorProto_UINT8: "TYPE_UINT8",
	onnxpb.TensorProto_BOOL: "TYPE_BOOL",
}

// WriteTriton writes a Triton model repository entry for g under dir:
// dir/<name>/config.pbtxt (backend onnxruntime, inputs and outputs with
// their types and dims as the ONNX file declares them, dynamic batching
// when the batch dimension is symbolic) and dir/<name>/1/model.onnx (the
// bytes Marshal(g, opts) gives). It returns dir/<name>.
func WriteTriton(dir string, g *graph.Graph, opts *Options, t *TritonOptions) (string, error) {
	var to TritonOptions
	if t != nil {
		to = *t
	}
	if to.Name == "" {
		to.Name = "pixelcnn"
	}
	if to.MaxBatch == 0 {
		to.MaxBatch = 64
	}
	if to.QueueDelayMicroseconds == 0 {
		to.QueueDelayMicroseconds = 100
	}
	if to.Name != filepath.Base(to.Name) || strings.ContainsAny(to.Name, `/\"`) || to.Name == "." || to.Name == ".." {
		return "", fmt.Errorf("triton: model name %q must be a plain folder name", to.Name)
	}
	if to.MaxBatch < 0 || to.QueueDelayMicroseconds < 0 {
		return "", fmt.Errorf("triton: max batch %d and queue delay %d must be >= 0", to.MaxBatch, to.QueueDelayMicroseconds)
	}
	m, err := toProto(g, opts)
	if err != nil {
		return "", err
	}
	config, err := TritonConfig(m, to)
	if err != nil {
		return "", err
	}
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return "", err
	}
	model := filepath.Join(dir, to.Name)
	if err := os.MkdirAll(filepath.Join(model, "1"), 0o755); err != nil {
		return "", err
	}
	if err := WriteFileAtomic(filepath.Join(model, "1", "model.onnx"), b); err != nil {
		return "", err
	}
	return model, WriteFileAtomic(filepath.Join(model, "config.pbtxt"), []byte(config))
}

// TritonConfig returns the config.pbtxt (protobuf text format of Triton's
// inference.ModelConfig) that serves m on Triton's onnxruntime backend.
func TritonConfig(m *onnxpb.ModelProto, t TritonOptions) (string, error) {
	gp := m.GetGraph()
	inits := map[string]bool{}
	for _, in := range gp.GetInitializer() {
		inits[in.GetName()] = true
	}
	type tensor struct {
		name, dtype string
		dims        []int64 // -1: symbolic
	}
	read := func(what string, vs []*onnxpb.ValueInfoProto) ([]tensor, error) {
		var out []tensor
		for _, v := range vs {
			if inits[v.GetName()] {
				continue
			}
			tt := v.GetType().GetTensorType()
			if tt == nil || tt.GetShape() == nil {
				return nil, fmt.Errorf("triton: %s %s: not a tensor of known rank", what, v.GetName())
			}
			ty, ok := tritonType[onnxpb.TensorProto_DataType(tt.GetElemType())]
			if !ok {
				return nil, fmt.Errorf("triton: %s %s: element type %s has no Triton type here", what, v.GetName(),
					onnxpb.TensorProto_DataType(tt.GetElemType()))
			}
			x := tensor{name: v.GetName(), dtype: ty}
			for _, d := range tt.GetShape().GetDim() {
				if d.GetDimParam() != "" || d.Value == nil {
					x.dims = append(x.dims, -1)
				} else {
					x.dims = append(x.dims, d.GetDimValue())
				}
			}
			out = append(out, x)
		}
		return out, nil
	}
	ins, err := read("input", gp.GetInput())
	if err != nil {
		return "", err
	}
	outs, err := read("output", gp.GetOutput())
	if err != nil {
		return "", err
	}
	if len(ins) == 0 || len(outs) == 0 {
		return "", errors.New("triton: the model needs an input and an output")
	}
	// Triton batches when every tensor's first dimension is the (symbolic) batch.
	batched := t.MaxBatch > 0
	for _, x := range append(append([]tensor{}, ins...), outs...) {
		batched = batched && len(x.dims) > 0 && x.dims[0] == -1
	}
	var b strings.Builder
	b.WriteString("# Triton model configuration written by `pixelgraph export --triton`.\n")
	fmt.Fprintf(&b, "name: %q\nbackend: \"onnxruntime\"\n", t.Name)
	if batched {
		fmt.Fprintf(&b, "max_batch_size: %d\n", t.MaxBatch)
	} else {
		b.WriteString("max_batch_size: 0\n")
	}
	section := func(key string, xs []tensor) {
		fmt.Fprintf(&b, "%s [\n", key)
		for i, x := range xs {
			dims := x.dims
			if batched {
				dims = dims[1:]
			}
			ds := make([]string, len(dims))
			for k, d := range dims {
				ds[k] = fmt.Sprint(d)
			}
			sep := ","
			if i == len(xs)-1 {
				sep = ""
			}
			fmt.Fprintf(&b, "  {\n    name: %q\n    data_type: %s\n    dims: [ %s ]\n  }%s\n", x.name, x.dtype, strings.Join(ds, ", "), sep)
		}
		b.WriteString("]\n")
	}
	section("input", ins)
	section("output", outs)
	if batched {
		fmt.Fprintf(&b, "dynamic_batching {\n  max_queue_delay_microseconds: %d\n}\n", t.QueueDelayMicroseconds)
	}
	return b.String(), nil
}
