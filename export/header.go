package export

import (
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// Header is what an ONNX file says about itself outside its graph: what
// `pixelgraph inspect` prints above the graph (DecodeFileHeader reads it in
// the same parse as the graph).
type Header struct {
	Bytes           int   // size of the model file
	IRVersion       int64 // ir_version
	Producer        string
	ProducerVersion string
	// Opsets are the opset imports in file order; Domain "" is the default
	// ONNX domain.
	Opsets []OpsetID
	// Metadata is every metadata_props entry in file order, pixelgraph.*
	// keys included (the graph keeps only the others).
	Metadata []graph.KV
}

// OpsetID is one opset import.
type OpsetID struct {
	Domain  string
	Version int64
}

func header(m *onnxpb.ModelProto, size int) *Header {
	h := &Header{Bytes: size, IRVersion: m.GetIrVersion(), Producer: m.GetProducerName(), ProducerVersion: m.GetProducerVersion()}
	for _, op := range m.OpsetImport {
		h.Opsets = append(h.Opsets, OpsetID{Domain: op.GetDomain(), Version: op.GetVersion()})
	}
	for _, kv := range m.MetadataProps {
		h.Metadata = append(h.Metadata, graph.KV{Key: kv.GetKey(), Value: kv.GetValue()})
	}
	return h
}
