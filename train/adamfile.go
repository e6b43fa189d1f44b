package train

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
)

// adamMagic starts an encoded AdamState; the version is its last byte.
const adamMagic = "pixelgraph-adam\x01"

// WriteTo encodes the state: adamMagic, then little-endian uint64 step and
// parameter count, then per parameter in name order: uint32 name length,
// name, uint64 n, n float32 means, n float32 variances. The same state
// always encodes to the same bytes.
func (s *AdamState) WriteTo(w io.Writer) (int64, error) {
	bw := bufio.NewWriter(w)
	cw := &countWriter{w: bw}
	names := make([]string, 0, len(s.M))
	for name := range s.M {
		if len(s.V[name]) != len(s.M[name]) {
			return 0, fmt.Errorf("train: adam state %s has %d means and %d variances", name, len(s.M[name]), len(s.V[name]))
		}
		names = append(names, name)
	}
	if len(s.V) != len(s.M) {
		return 0, fmt.Errorf("train: adam state has %d means and %d variances", len(s.M), len(s.V))
	}
	sort.Strings(names)
	io.WriteString(cw, adamMagic)
	binary.Write(cw, binary.LittleEndian, [2]uint64{uint64(s.Step), uint64(len(names))})
	var buf [4]byte
	for _, name := range names {
		binary.Write(cw, binary.LittleEndian, uint32(len(name)))
		io.WriteString(cw, name)
		binary.Write(cw, binary.LittleEndian, uint64(len(s.M[name])))
		for _, xs := range [][]float32{s.M[name], s.V[name]} {
			for _, x := range xs {
				binary.LittleEndian.PutUint32(buf[:], math.Float32bits(x))
				cw.Write(buf[:])
			}
		}
	}
	if cw.err != nil {
		return cw.n, cw.err
	}
	return cw.n, bw.Flush()
}

type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	c.err = err
	return n, err
}

// ReadAdamState decodes what AdamState.WriteTo wrote.
func ReadAdamState(r io.Reader) (*AdamState, error) {
	br := bufio.NewReader(r)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("train: adam state: "+format, args...)
	}
	magic := make([]byte, len(adamMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != adamMagic {
		return nil, bad("not a pixelgraph Adam state (bad magic)")
	}
	var hdr [2]uint64
	if err := binary.Read(br, binary.LittleEndian, &hdr); err != nil {
		return nil, bad("short header")
	}
	if hdr[0] > math.MaxInt32 || hdr[1] > 1<<20 {
		return nil, bad("step %d, %d parameters: out of range", hdr[0], hdr[1])
	}
	s := &AdamState{Step: int(hdr[0])}
	if hdr[1] > 0 {
		s.M, s.V = map[string][]float32{}, map[string][]float32{}
	}
	for i := uint64(0); i < hdr[1]; i++ {
		var nl uint32
		if err := binary.Read(br, binary.LittleEndian, &nl); err != nil || nl > 1<<16 {
			return nil, bad("parameter %d: bad name length", i)
		}
		name := make([]byte, nl)
		if _, err := io.ReadFull(br, name); err != nil {
			return nil, bad("parameter %d: short name", i)
		}
		var n uint64
		if err := binary.Read(br, binary.LittleEndian, &n); err != nil || n > 1<<30 {
			return nil, bad("%s: bad size", name)
		}
		raw := make([]byte, 8*n)
		if _, err := io.ReadFull(br, raw); err != nil {
			return nil, bad("%s: %d values expected: %v", name, n, err)
		}
		m, v := make([]float32, n), make([]float32, n)
		for j := range m {
			m[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
			v[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*(int(n)+j):]))
		}
		if _, dup := s.M[string(name)]; dup {
			return nil, bad("%s appears twice", name)
		}
		s.M[string(name)], s.V[string(name)] = m, v
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return nil, bad("trailing bytes")
	}
	return s, nil
}
