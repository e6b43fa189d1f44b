//go:build cgo

package main

import (
	"fmt"

	ort "github.com/yalue/onnxruntime_go"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/ortlib"
)

// ortEngine is an ONNX Runtime CPU session with intra-op threads = --threads
// and one inter-op thread; tensors are kept per batch size.
type ortEngine struct {
	sess    *ort.DynamicAdvancedSession
	geo     benchGeo
	version string
	in, out map[int]*ort.Tensor[float32]
}

func newORTEngine(lib string, model []byte, threads int, geo benchGeo) (forwardEngine, error) {
	if err := ortlib.Init(lib); err != nil {
		return nil, err
	}
	so, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: session options: %w", err)
	}
	defer so.Destroy()
	if err := so.SetIntraOpNumThreads(threads); err != nil {
		return nil, fmt.Errorf("onnxruntime: SetIntraOpNumThreads(%d): %w", threads, err)
	}
	if err := so.SetInterOpNumThreads(1); err != nil {
		return nil, fmt.Errorf("onnxruntime: SetInterOpNumThreads(1): %w", err)
	}
	sess, err := ort.NewDynamicAdvancedSessionWithONNXData(model, []string{graph.InputName}, []string{graph.OutputName}, so)
	if err != nil {
		return nil, fmt.Errorf("onnxruntime: creating session: %w", err)
	}
	return &ortEngine{sess: sess, geo: geo, version: "onnxruntime " + ortlib.Version(),
		in: map[int]*ort.Tensor[float32]{}, out: map[int]*ort.Tensor[float32]{}}, nil
}

func (o *ortEngine) Version() string { return o.version }

func (o *ortEngine) Forward(x []float32, n int) ([]float32, error) {
	c := o.geo
	in, ok := o.in[n]
	if !ok {
		var err error
		if in, err = ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(c.C), int64(c.H), int64(c.W))); err != nil {
			return nil, err
		}
		out, err := ort.NewEmptyTensor[float32](ort.NewShape(int64(n), int64(c.Q*c.C), int64(c.H), int64(c.W)))
		if err != nil {
			in.Destroy()
			return nil, err
		}
		o.in[n], o.out[n] = in, out
	}
	d := in.GetData()
	if len(x) != len(d) {
		return nil, fmt.Errorf("onnxruntime: input of %d floats for %d images, want %d", len(x), n, len(d))
	}
	copy(d, x)
	out := o.out[n]
	if err := o.sess.Run([]ort.Value{in}, []ort.Value{out}); err != nil {
		return nil, fmt.Errorf("onnxruntime: %w", err)
	}
	return out.GetData(), nil
}

func (o *ortEngine) Close() error {
	for _, t := range o.in {
		t.Destroy()
	}
	for _, t := range o.out {
		t.Destroy()
	}
	return o.sess.Destroy()
}
