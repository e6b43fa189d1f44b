package export

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/internal/onnxpb"
)

// IR versions Decode reads.
const (
	MinIRVersion = 3
	MaxIRVersion = 10
)

// DefaultMaxBytes caps the model file and the total tensor data of a decoded
// model when DecodeOptions.MaxBytes is 0.
const DefaultMaxBytes int64 = 4 << 30

// DecodeOptions control decoding. A nil *DecodeOptions is the zero value.
type DecodeOptions struct {
	// Dir is the folder that external data locations are relative to.
	// DecodeFile sets it to the model's folder. When it is empty, a model with
	// external data is refused.
	Dir string
	// MaxBytes caps the size of the model file and the total size of its
	// tensor data (inline and external); 0 means DefaultMaxBytes.
	MaxBytes int64
	// MinOpset, when above graph.MinOpset (1), refuses files of older
	// default-domain opsets. Decode reads opsets from 1 by default: the
	// runtime runs them with their own semantics (Debian's libonnx-testdata
	// pytorch-converted cases are opset 6, for instance), though Encode
	// writes opset 7 or newer only.
	MinOpset int
}

func (o *DecodeOptions) minOpset() int64 {
	if o == nil {
		return graph.MinOpset
	}
	return int64(max(o.MinOpset, graph.MinOpset))
}

func (o *DecodeOptions) maxBytes() int64 {
	if o == nil || o.MaxBytes <= 0 {
		return DefaultMaxBytes
	}
	return o.MaxBytes
}

func (o *DecodeOptions) dir() string {
	if o == nil {
		return ""
	}
	return o.Dir
}

// DecodeFile reads the ONNX model at path; external data is looked up in
// the model's folder (opts.Dir is ignored). Errors from the file name it.
func DecodeFile(path string, opts *DecodeOptions) (*graph.Graph, error) {
	g, _, err := DecodeFileHeader(path, opts)
	return g, err
}

// DecodeFileHeader is DecodeFile that also returns the file's Header, from
// the same parse.
func DecodeFileHeader(path string, opts *DecodeOptions) (*graph.Graph, *Header, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	o := DecodeOptions{}
	if opts != nil {
		o = *opts
	}
	o.Dir = filepath.Dir(path)
	b, err := readAll(f, &o)
	if err == nil {
		var g *graph.Graph
		var h *Header
		if g, h, err = unmarshal(b, &o); err == nil {
			return g, h, nil
		}
	}
	var fe *FormatError
	var ue *UnsupportedError
	switch {
	case errors.As(err, &fe) && fe.File == "":
		fe.File = path
	case errors.As(err, &ue) && ue.File == "":
		ue.File = path
	}
	return nil, nil, err
}

// Decode reads an ONNX model from r and returns it as a graph.
//
// What it accepts and how it maps the file:
//   - IR versions 3..10 and default-domain opsets 1..21; nodes of any other
//     domain are an *UnsupportedError naming node and domain.
//   - Names, node order, attribute order, initializer order and metadata
//     order are kept, so a file written by Encode decodes to a graph that
//     encodes to the same bytes.
//   - Graph inputs that are also initializers (IR < 4 files list them) are
//     not inputs. Symbolic dims become -1 with their name in DimNames;
//     unknown dims -1 with no name.
//   - Initializers and tensor attributes: see decoder.tensor for data types
//     and the float16/float64 conversions.
//   - Our pixelgraph.* metadata restores Config and the mask kind of each
//     masked weight; the hidden taps must be exactly zero. Other metadata
//     goes to g.Metadata in order. Files without it import as plain graphs.
//
// Errors are *FormatError (not valid ONNX, or breaks an invariant) or
// *UnsupportedError (valid ONNX outside what pixelgraph reads).
func Decode(r io.Reader, opts *DecodeOptions) (*graph.Graph, error) {
	b, err := readAll(r, opts)
	if err != nil {
		return nil, err
	}
	return Unmarshal(b, opts)
}

// readAll reads a model, refusing one over the byte limit.
func readAll(r io.Reader, opts *DecodeOptions) ([]byte, error) {
	max := opts.maxBytes()
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, unsupportedErr(Where{}, "model is larger than the %d-byte limit (DecodeOptions.MaxBytes)", max)
	}
	return b, nil
}

// Unmarshal decodes an ONNX model held in memory; see Decode.
func Unmarshal(b []byte, opts *DecodeOptions) (*graph.Graph, error) {
	g, _, err := unmarshal(b, opts)
	return g, err
}

func unmarshal(b []byte, opts *DecodeOptions) (*graph.Graph, *Header, error) {
	var m onnxpb.ModelProto
	if err := proto.Unmarshal(b, &m); err != nil {
		return nil, nil, &FormatError{Msg: "not an ONNX model (protobuf)", Err: err}
	}
	g, err := fromProto(&m, opts)
	if err != nil {
		return nil, nil, err
	}
	return g, header(&m, len(b)), nil
}

// fromProto converts an ONNX ModelProto to a graph; see Decode.
func fromProto(m *onnxpb.ModelProto, opts *DecodeOptions) (*graph.Graph, error) {
	d := &decoder{opts: opts, max: opts.maxBytes(), values: map[string]*graph.Value{}}
	defer d.close()
	return d.model(m)
}

// decoder holds the state of one Decode call.
type decoder struct {
	opts   *DecodeOptions
	max    int64 // byte budget for tensor data
	total  int64 // tensor bytes decoded so far
	opset  int
	ext    *os.Root // opened on the first external tensor
	values map[string]*graph.Value
}

func (d *decoder) close() {
	if d.ext != nil {
		d.ext.Close()
	}
}

func (d *decoder) model(m *onnxpb.ModelProto) (*graph.Graph, error) {
	if m == nil {
		return nil, formatErr(Where{}, "no model")
	}
	if m.IrVersion == nil {
		return nil, formatErr(Where{Field: "ir_version"}, "missing ir_version")
	}
	if ir := m.GetIrVersion(); ir < MinIRVersion || ir > MaxIRVersion {
		return nil, unsupportedErr(Where{Field: "ir_version"}, "IR version %d is outside %d..%d", ir, MinIRVersion, MaxIRVersion)
	}
	if err := d.readOpset(m.GetOpsetImport()); err != nil {
		return nil, err
	}
	gp := m.GetGraph()
	if gp == nil {
		return nil, formatErr(Where{Field: "graph", Opset: d.opset}, "model has no graph")
	}
	g := &graph.Graph{Name: gp.GetName(), Opset: d.opset, Producer: m.GetProducerName()}
	if err := d.graph(g, gp); err != nil {
		return nil, err
	}
	if err := restoreMetadata(g, m.GetMetadataProps()); err != nil {
		return nil, err
	}
	if err := g.Validate(); err != nil { // safety net: every check above should come first
		return nil, &FormatError{Msg: "decoded graph is invalid", Err: err}
	}
	return g, nil
}

// readOpset finds the default-domain opset ("" or its alias "ai.onnx").
// Imports of other domains are fine as long as no node uses them.
func (d *decoder) readOpset(imports []*onnxpb.OperatorSetIdProto) error {
	found := false
	for _, imp := range imports {
		if !isDefaultDomain(imp.GetDomain()) {
			continue
		}
		if found {
			return formatErr(Where{Field: "opset_import"}, "default domain imported twice")
		}
		found = true
		v := imp.GetVersion()
		if lo := d.opts.minOpset(); v < lo || v > graph.MaxOpset {
			return unsupportedErr(Where{Field: "opset_import", Opset: clampInt(v)}, "default-domain opset %d is outside %d..%d", v, lo, graph.MaxOpset)
		}
		d.opset = int(v)
	}
	// Without a default-domain import d.opset stays 0: valid when every
	// node is of another domain (each is then unsupported, by name).
	return nil
}

func isDefaultDomain(s string) bool { return s == "" || s == "ai.onnx" }

// clampInt converts a file's int64 to int for error fields without wrapping.
func clampInt(v int64) int {
	const maxInt = int64(^uint(0) >> 1)
	switch {
	case v > maxInt:
		return int(maxInt)
	case v < -maxInt:
		return int(-maxInt)
	}
	return int(v)
}
