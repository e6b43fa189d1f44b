package main

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// pytorchBench is the PyTorch twin of train.Trainer.Step, run as
// `python3 -c SCRIPT CONFIG BATCH THREADS BUDGET --serve`.
//
//go:embed testdata/pytorch_bench.py
var pytorchBench []byte

// pytorchStepper drives testdata/pytorch_bench.py --serve: one line "step"
// in, one line {"wall","cpu"} out.
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

// startPytorch starts the script on the run's model, batch and threads.
func (b *benchRun) startPytorch() (*pytorchStepper, error) {
	py := b.f.python
	if py == "" {
		py = os.Getenv("PIXELGRAPH_PYTHON")
	}
	if py == "" {
		py = "/usr/bin/python3"
	}
	cj, err := json.Marshal(b.cfg)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(b.ctx, py, "-c", string(pytorchBench), string(cj), strconv.Itoa(b.f.batch), strconv.Itoa(b.f.threads),
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

// ready waits for the warm-up step and returns torch's version; a script
// that cannot import torch prints an error line instead.
func (s *pytorchStepper) ready() (string, error) {
	var r struct {
		Ready   bool   `json:"ready"`
		Version string `json:"version"`
		Error   string `json:"error"`
	}
	if err := s.read(&r); err != nil {
		return "", err
	}
	if !r.Ready {
		return "", fmt.Errorf("%s: %s", s.py, r.Error)
	}
	return r.Version, nil
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
