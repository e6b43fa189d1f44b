package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/pixelgraph/pixelgraph/graph"
)

// pytorchBench holds the PyTorch twins of the bench's models and times
// their training step like train.Trainer.Step, run as
// `python3 -c SCRIPT SPEC BATCH THREADS BUDGET --serve` (see its doc).
//
//go:embed testdata/pytorch_bench.py
var pytorchBench []byte

// pytorchStepper drives testdata/pytorch_bench.py --serve: one command
// line in ("step", `check ["IN","OUT"]`, "done"), one JSON line out.
type pytorchStepper struct {
	py     string
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	stderr *bytes.Buffer
	closed bool
	// finished: the script printed its peak RSS and exits by itself.
	finished bool
}

// startPytorch starts the script on the run's model's twin, a batch of n
// and the run's threads.
func (b *benchRun) startPytorch(n int) (*pytorchStepper, error) {
	py := b.f.python
	if py == "" {
		py = os.Getenv("PIXELGRAPH_PYTHON")
	}
	if py == "" {
		py = "/usr/bin/python3"
	}
	spec, err := json.Marshal(map[string]any{"twin": b.model.twin, "config": b.twin})
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(b.ctx, py, "-c", string(pytorchBench), string(spec), strconv.Itoa(n), strconv.Itoa(b.f.threads),
		strconv.FormatFloat(b.f.budget.Seconds(), 'g', -1, 64), "--serve")
	// One thread pool of the size asked for, whatever the environment says.
	cmd.Env = append(os.Environ(), "OMP_NUM_THREADS="+strconv.Itoa(b.f.threads), "MKL_NUM_THREADS="+strconv.Itoa(b.f.threads))
	s := &pytorchStepper{py: py, cmd: cmd, stderr: &bytes.Buffer{}}
	cmd.Stderr = s.stderr
	if s.in, err = cmd.StdinPipe(); err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	s.out = bufio.NewScanner(out)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%s: %w", py, err)
	}
	return s, nil
}

// failed describes the script's failure: the exception line of its stderr.
func (s *pytorchStepper) failed(err error) error {
	msg := strings.TrimSpace(s.stderr.String())
	if i := strings.LastIndexByte(msg, '\n'); i >= 0 {
		msg = msg[i+1:] // the exception, not the traceback
	}
	if msg != "" {
		return fmt.Errorf("%s: %v: %s", s.py, err, msg)
	}
	return fmt.Errorf("%s: %w", s.py, err)
}

// read decodes the script's next output line into v.
func (s *pytorchStepper) read(v any) error {
	if !s.out.Scan() {
		err := s.out.Err()
		if err == nil {
			err = io.ErrUnexpectedEOF
		}
		return s.failed(err)
	}
	line := s.out.Bytes()
	if err := json.Unmarshal(line, v); err != nil {
		return s.failed(fmt.Errorf("printed %q: %w", line, err))
	}
	return nil
}

// ready waits for the warm-up step and returns torch's version and the
// twin's parameter count; a script that cannot import torch, or has no
// such twin, prints an error line instead.
func (s *pytorchStepper) ready() (version string, params int, err error) {
	var r struct {
		Ready   bool   `json:"ready"`
		Version string `json:"version"`
		Params  int    `json:"params"`
		Error   string `json:"error"`
	}
	if err := s.read(&r); err != nil {
		return "", 0, err
	}
	if !r.Ready {
		return "", 0, fmt.Errorf("%s: %s", s.py, r.Error)
	}
	return r.Version, r.Params, nil
}

// check has the script build a fresh twin, load the weights and the input
// written to in (writeTwinInput), run one forward pass and write its
// logits to out; it returns them and the twin's parameter count.
func (s *pytorchStepper) check(in, out string) ([]float32, int, error) {
	args, err := json.Marshal([]string{in, out})
	if err != nil {
		return nil, 0, err
	}
	if _, err := fmt.Fprintf(s.in, "check %s\n", args); err != nil {
		return nil, 0, s.failed(err)
	}
	var r struct {
		Params int    `json:"params"`
		Error  string `json:"error"`
	}
	if err := s.read(&r); err != nil {
		return nil, 0, err
	}
	if r.Error != "" {
		return nil, 0, fmt.Errorf("twin check: %s", r.Error)
	}
	logits, err := readFloat32s(out)
	return logits, r.Params, err
}

func (s *pytorchStepper) step() (wall, cpu time.Duration, err error) {
	if _, err := io.WriteString(s.in, "step\n"); err != nil {
		return 0, 0, s.failed(err)
	}
	var r struct{ Wall, CPU float64 }
	if err := s.read(&r); err != nil {
		return 0, 0, err
	}
	sec := func(v float64) time.Duration { return time.Duration(v * float64(time.Second)) }
	return sec(r.Wall), sec(r.CPU), nil
}

// finish ends the script and returns its peak RSS in MB.
func (s *pytorchStepper) finish() (float64, error) {
	if _, err := io.WriteString(s.in, "done\n"); err != nil {
		return 0, s.failed(err)
	}
	var r struct {
		PeakRSSMB float64 `json:"peak_rss_mb"`
	}
	err := s.read(&r)
	s.finished = err == nil
	s.close()
	return r.PeakRSSMB, err
}

// close ends the script: after finish it has exited by itself; otherwise
// (an error, or the bench stopped early) it is killed.
func (s *pytorchStepper) close() {
	if s.closed {
		return
	}
	s.closed = true
	s.in.Close()
	if s.cmd.ProcessState == nil && !s.finished {
		s.cmd.Process.Kill()
	}
	_ = s.cmd.Wait()
}

// writeTwinInput writes what the script's check reads: a JSON header line
// naming g's float32 initializers (its parameters; integer ones are
// structural constants such as a Slice's bounds) and their shapes and the input's shape,
// then their float32 data, little-endian, in that order.
func writeTwinInput(path string, g *graph.Graph, x *graph.Tensor) error {
	type tensor struct {
		Name  string `json:"name"`
		Shape []int  `json:"shape"`
	}
	var h struct {
		Tensors []tensor `json:"tensors"`
		Input   []int    `json:"input"`
	}
	var data [][]float32
	for _, v := range g.Inits {
		if v.Const.DType.IsInteger() {
			continue // a structural constant (a Slice's bounds), no parameter
		}
		if v.Const.DType != graph.Float32 {
			return fmt.Errorf("initializer %s is %v; the twin check takes float32 only", v.Name, v.Const.DType)
		}
		h.Tensors = append(h.Tensors, tensor{v.Name, v.Const.Shape})
		data = append(data, v.Const.F32)
	}
	h.Input = x.Shape
	data = append(data, x.F32)
	j, err := json.Marshal(h)
	if err != nil {
		return err
	}
	buf := append(j, '\n')
	for _, d := range data {
		for _, v := range d {
			buf = binary.LittleEndian.AppendUint32(buf, math.Float32bits(v))
		}
	}
	return os.WriteFile(path, buf, 0o600)
}

// readFloat32s reads a file of little-endian float32s.
func readFloat32s(path string) ([]float32, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(b)%4 != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of float32s", path, len(b))
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v, nil
}

// paramCount is the number of float parameters of g: its initializers.
func paramCount(g *graph.Graph) int {
	n := 0
	for _, v := range g.Inits {
		n += len(v.Const.F32)
	}
	return n
}
