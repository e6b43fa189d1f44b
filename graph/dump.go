package graph

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"sort"
	"strings"
)

// Dump writes a text description of g: inputs, outputs, initializers (shape,
// mask, CRC-32 of the little-endian bytes and the first values), nodes with
// their attributes, op counts, parameter count and config. It is the text
// twin of an ONNX file: goldens and `pixelgraph inspect` use it (inspect
// adds the layer plan: engine paths and receptive field).
func Dump(w io.Writer, g *Graph) error {
	d := &dumper{w: w}
	d.printf("graph %s\n", g.Name)
	if g.Opset != 0 {
		d.printf("opset %d\n", g.Opset)
	}
	if g.Producer != "" {
		d.printf("producer %s\n", g.Producer)
	}
	d.printf("\ninputs:\n")
	for _, v := range g.Inputs {
		d.printf("  %s: %s\n", v.Name, v.TypeString())
	}
	d.printf("outputs:\n")
	for _, v := range g.Outputs {
		d.printf("  %s: %s\n", v.Name, v.TypeString())
	}
	d.printf("\ninitializers:\n")
	for _, v := range g.Inits {
		d.printf("  %s: %s%s%s\n", v.Name, v.Const.DType, ShapeString(v.Const.Shape, nil), maskNote(v))
		d.printf("    %s\n", TensorSummary(v.Const))
	}
	d.printf("\nnodes:\n")
	for _, n := range g.Nodes {
		d.printf("  %s\n", NodeString(n))
	}
	d.printf("\nsummary:\n")
	d.printf("  ops: %s\n", opCounts(g))
	d.printf("  parameters: %d\n", ParamCount(g))
	if c := g.Config; c != nil && c.Gated() {
		d.printf("  gated pixelcnn: levels=%d channels=%d height=%d width=%d filters=%d layers=%d head=%d first_kernel=%d block_kernel=%d classes=%d seed=%d\n",
			c.Levels, c.Channels, c.Height, c.Width, c.Filters, c.Layers, c.Head, c.FirstKernel, c.BlockKernel, c.Classes, c.Seed)
		d.printf("  input scaling: pixels = level/(%d-1), level in 0..%d\n", c.Levels, c.Levels-1)
		if c.Classes > 0 {
			d.printf("  label: int64 class in 0..%d, one per image\n", c.Classes-1)
		}
	} else if c != nil {
		d.printf("  pixelcnn: levels=%d channels=%d height=%d width=%d filters=%d hidden=%d blocks=%d head=%d first_kernel=%d block_kernel=%d seed=%d\n",
			c.Levels, c.Channels, c.Height, c.Width, c.Filters, c.Hidden, c.Blocks, c.Head, c.FirstKernel, c.BlockKernel, c.Seed)
		d.printf("  input scaling: pixels = level/(%d-1), level in 0..%d\n", c.Levels, c.Levels-1)
	}
	if len(g.Metadata) > 0 {
		d.printf("\nmetadata:\n")
		for _, kv := range g.Metadata {
			d.printf("  %s = %s\n", kv.Key, MetaSummary(kv.Value))
		}
	}
	return d.err
}

type dumper struct {
	w   io.Writer
	err error
}

func (d *dumper) printf(format string, args ...any) {
	if d.err == nil {
		_, d.err = fmt.Fprintf(d.w, format, args...)
	}
}

func maskNote(v *Value) string {
	if v.Mask == MaskNone {
		return ""
	}
	s := v.Const.Shape
	if len(s) != 4 {
		return fmt.Sprintf(" mask %v", v.Mask)
	}
	m := Mask(v.Mask, s[2], s[3])
	live := 0
	for _, x := range m {
		if x != 0 {
			live++
		}
	}
	return fmt.Sprintf(" mask %v (%d/%d taps live)", v.Mask, live, len(m))
}

// TensorSummary is "crc32=89abcdef first=[0.1 -0.2 ...]" for a tensor, with
// the checksum over its little-endian bytes and at most 4 values.
func TensorSummary(t *Tensor) string {
	h := crc32.NewIEEE()
	var b [8]byte
	var first []string
	const show = 4
	switch {
	case t.DType == Float32:
		for i, x := range t.F32 {
			binary.LittleEndian.PutUint32(b[:4], math.Float32bits(x))
			h.Write(b[:4])
			if i < show {
				first = append(first, fmt.Sprintf("%.6g", x))
			}
		}
	case t.DType == Float64:
		for i, x := range t.F64 {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(x))
			h.Write(b[:])
			if i < show {
				first = append(first, fmt.Sprintf("%.6g", x))
			}
		}
	default:
		for i, x := range t.I64 {
			binary.LittleEndian.PutUint64(b[:], uint64(x))
			h.Write(b[:])
			if i < show {
				first = append(first, fmt.Sprint(x))
			}
		}
	}
	more := ""
	if t.Len() > show {
		more = " ..."
	}
	return fmt.Sprintf("crc32=%08x first=[%s%s]", h.Sum32(), strings.Join(first, " "), more)
}

// NodeString is one line: "name = Op(in, ...) -> out attr=value ...".
func NodeString(n *Node) string {
	var sb strings.Builder
	if n.Name == "" {
		sb.WriteString("(unnamed)")
	} else {
		sb.WriteString(n.Name)
	}
	sb.WriteString(": ")
	if n.Domain != "" {
		sb.WriteString(n.Domain + ".")
	}
	sb.WriteString(n.Op + "(")
	for i, v := range n.Inputs {
		if i > 0 {
			sb.WriteString(", ")
		}
		if v == nil {
			sb.WriteString("_")
		} else {
			sb.WriteString(v.Name)
		}
	}
	sb.WriteString(") ->")
	for _, v := range n.Outputs {
		if v == nil {
			sb.WriteString(" _")
		} else {
			sb.WriteString(" " + v.Name)
		}
	}
	for _, a := range n.Attrs {
		sb.WriteString(" " + a.Name + "=" + AttrValueString(a))
	}
	return sb.String()
}

// AttrValueString formats an attribute's value.
func AttrValueString(a Attr) string {
	switch a.Type {
	case AttrFloat:
		return fmt.Sprintf("%g", a.F)
	case AttrInt:
		return fmt.Sprint(a.I)
	case AttrString:
		return fmt.Sprintf("%q", a.S)
	case AttrInts:
		return strings.ReplaceAll(fmt.Sprint(a.Ints), " ", ",")
	case AttrFloats:
		return strings.ReplaceAll(fmt.Sprint(a.Floats), " ", ",")
	case AttrStrings:
		return fmt.Sprintf("%q", a.Strings)
	case AttrTensor:
		if a.T == nil {
			return "tensor(nil)"
		}
		return fmt.Sprintf("%s%s{%s}", a.T.DType, ShapeString(a.T.Shape, nil), TensorSummary(a.T))
	}
	return "?"
}

func opCounts(g *Graph) string {
	counts := map[string]int{}
	for _, n := range g.Nodes {
		counts[n.Op]++
	}
	ops := make([]string, 0, len(counts))
	for op := range counts {
		ops = append(ops, op)
	}
	sort.Strings(ops)
	parts := make([]string, len(ops))
	for i, op := range ops {
		parts[i] = fmt.Sprintf("%s %d", op, counts[op])
	}
	return strings.Join(parts, ", ")
}

// ParamCount is the number of elements in all initializers.
func ParamCount(g *Graph) int {
	n := 0
	for _, v := range g.Inits {
		n += v.Const.Len()
	}
	return n
}

// MetaSummary returns a metadata value for a text dump: as it is up to 256
// bytes; longer (a checkpoint's optimizer state is megabytes of base64),
// its first 48 bytes, its length and CRC-32.
func MetaSummary(v string) string {
	if len(v) <= 256 {
		return v
	}
	return fmt.Sprintf("%s... (%d bytes, crc32=%08x)", v[:48], len(v), crc32.ChecksumIEEE([]byte(v)))
}
