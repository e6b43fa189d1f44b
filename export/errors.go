package export

import (
	"fmt"
	"strings"
)

// Where locates a decoding problem in an ONNX file. Every field is optional;
// the ones that are set appear in the error message.
type Where struct {
	File   string // path of the model (DecodeFile) or of its external data
	Node   string // node name, or "#i" (its index) for an unnamed node
	Op     string // the node's op_type
	Domain string // the node's domain
	Attr   string // attribute name
	Opset  int    // default-domain opset of the model, when known
	Tensor string // initializer, attribute tensor or value name
	Field  string // protobuf field or metadata key ("raw_data", "ir_version", ...)
}

func (w Where) String() string {
	var parts []string
	if w.File != "" {
		parts = append(parts, w.File)
	}
	if w.Node != "" || w.Op != "" {
		s := "node " + quoteName(w.Node)
		var in []string
		if w.Op != "" {
			in = append(in, w.Op)
		}
		if w.Domain != "" {
			in = append(in, "domain "+quoteName(w.Domain))
		}
		if w.Opset != 0 {
			in = append(in, fmt.Sprintf("opset %d", w.Opset))
		}
		if len(in) > 0 {
			s += " (" + strings.Join(in, ", ") + ")"
		}
		parts = append(parts, s)
	} else if w.Opset != 0 {
		parts = append(parts, fmt.Sprintf("opset %d", w.Opset))
	}
	if w.Attr != "" {
		parts = append(parts, "attribute "+quoteName(w.Attr))
	}
	if w.Tensor != "" {
		parts = append(parts, "tensor "+quoteName(w.Tensor))
	}
	if w.Field != "" {
		parts = append(parts, "field "+w.Field)
	}
	return strings.Join(parts, ": ")
}

func quoteName(s string) string {
	if s == "" {
		return `""`
	}
	return fmt.Sprintf("%q", s)
}

// FormatError reports a file that is not valid ONNX or breaks an invariant
// pixelgraph relies on (unsorted nodes, a value defined twice, a tensor whose
// data does not match its dims, a non-zero masked tap, ...).
type FormatError struct {
	Where
	Msg string
	Err error // underlying cause (a proto error, *graph.MaskTapError, ...)
}

func (e *FormatError) Error() string {
	return formatMsg("invalid ONNX", e.Where, e.Msg, e.Err)
}

func (e *FormatError) Unwrap() error { return e.Err }

// UnsupportedError reports a valid ONNX file that uses something pixelgraph
// does not read or run: an IR version or opset outside the supported range,
// a custom domain, a graph attribute, a data type, ...
type UnsupportedError struct {
	Where
	Msg string
	Err error
}

func (e *UnsupportedError) Error() string {
	return formatMsg("unsupported", e.Where, e.Msg, e.Err)
}

func (e *UnsupportedError) Unwrap() error { return e.Err }

func formatMsg(kind string, w Where, msg string, err error) string {
	var sb strings.Builder
	sb.WriteString("export: decode: ")
	if loc := w.String(); loc != "" {
		sb.WriteString(loc)
		sb.WriteString(": ")
	}
	sb.WriteString(kind)
	if msg != "" {
		sb.WriteString(": ")
		sb.WriteString(msg)
	}
	if err != nil {
		sb.WriteString(": ")
		sb.WriteString(err.Error())
	}
	return sb.String()
}

// formatErr and unsupportedErr build errors at a location.
func formatErr(w Where, format string, args ...any) *FormatError {
	return &FormatError{Where: w, Msg: fmt.Sprintf(format, args...)}
}

func unsupportedErr(w Where, format string, args ...any) *UnsupportedError {
	return &UnsupportedError{Where: w, Msg: fmt.Sprintf(format, args...)}
}
