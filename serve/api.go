package serve

import (
	"bytes"
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// Info is GET /api/info.
type Info struct {
	Name        string        `json:"name"`
	Config      *graph.Config `json:"config"` // nil for files without pixelgraph metadata
	Height      int           `json:"height"`
	Width       int           `json:"width"`
	Levels      int           `json:"levels"`
	Probs       bool          `json:"probs"`   // the output holds probabilities (trailing softmax), not logits
	Classes     int           `json:"classes"` // 0: unconditional
	Inputs      []string      `json:"inputs"`
	Outputs     []string      `json:"outputs"`
	Method      string        `json:"method"`             // the server's sampler: cached or naive
	Fallback    string        `json:"fallback,omitempty"` // why not cached
	BoundaryEps float64       `json:"boundary_eps"`
	Limits      Limits        `json:"limits"`
	Engines     Engines       `json:"engines"`
	Digits      int           `json:"digits"` // MNIST test digits for completion (0: none)
}

// Limits are the bounds the API enforces.
type Limits struct {
	N              int     `json:"n"`
	MaxTemperature float64 `json:"max_temperature"`
	BodyBytes      int64   `json:"body_bytes"`
	TimeoutMS      int64   `json:"timeout_ms"`
	Workers        int     `json:"workers"`
	Queue          int     `json:"queue"`
}

// Engines says which samplers the page can use; a missing one comes with
// the reason.
type Engines struct {
	Server         bool   `json:"server"`
	ORTWeb         bool   `json:"onnxruntime_web"`
	ORTWebMissing  string `json:"onnxruntime_web_missing,omitempty"`
	WASM           bool   `json:"wasm"`
	WASMMissing    string `json:"wasm_missing,omitempty"`
	ORTWebVersion  string `json:"onnxruntime_web_version"`
	ORTWebEntry    string `json:"onnxruntime_web_entry"`
	WASMExecScript string `json:"wasm_exec"`
}

// Drawn is the answer of /api/sample and /api/complete.
type Drawn struct {
	// Levels is n×H×W integer levels in 0..q−1.
	Levels [][][]int32 `json:"levels"`
	// NearBoundary lists draws (image·H·W + pixel) within boundary_eps of
	// a CDF boundary: where engines whose logits differ by rounding may
	// draw differently.
	NearBoundary []int   `json:"near_boundary"`
	Seed         uint64  `json:"seed"`
	Temperature  float64 `json:"temperature"`
	Method       string  `json:"method"`
	MS           float64 `json:"ms"` // sampling time, waiting excluded
}

func (s *Server) info(w http.ResponseWriter, r *http.Request) (any, error) {
	in := Info{Name: s.opts.Name, Config: s.g.Config, Height: s.geo.H, Width: s.geo.W, Levels: s.geo.Q,
		Probs: s.geo.Probs, Classes: s.classes, Method: s.method.String(), Fallback: s.fallback,
		BoundaryEps: sample.BoundaryEps, Digits: s.digits.count()}
	for _, v := range s.g.Inputs {
		if !v.IsConst() {
			in.Inputs = append(in.Inputs, v.Name)
		}
	}
	for _, v := range s.g.Outputs {
		in.Outputs = append(in.Outputs, v.Name)
	}
	in.Limits = Limits{N: s.opts.MaxN, MaxTemperature: MaxTemperature, BodyBytes: s.opts.MaxBody,
		TimeoutMS: s.opts.Timeout.Milliseconds(), Workers: s.opts.Workers, Queue: s.opts.Queue}
	ort, wasm := s.Engines()
	in.Engines = Engines{Server: true, ORTWeb: ort, WASM: wasm, ORTWebVersion: ORTWebVersion,
		ORTWebEntry: "/ort/" + ortEntry, WASMExecScript: "/wasm/" + wasmExec}
	if !ort {
		in.Engines.ORTWebMissing = ortHint
	}
	if !wasm {
		in.Engines.WASMMissing = wasmHint
	}
	return in, nil
}

func (s *Server) sample(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.parseSample(r.URL.Query())
	if err != nil {
		return nil, err
	}
	res, ms, err := s.run(r.Context(), func(ctx context.Context, o sample.Options) (*sample.Result, error) {
		return sample.Sample(ctx, s.g, o)
	}, p.drawParams)
	if err != nil {
		return nil, err
	}
	if p.Format == "png" {
		var buf bytes.Buffer
		if err := sample.WritePNG(&buf, sample.SampleGrid(res, sample.GridOptions{Scale: p.Scale})); err != nil {
			return nil, err
		}
		w.Header().Set("Content-Type", "image/png")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
		w.Write(buf.Bytes())
		return nil, nil
	}
	return s.levels(res, p.drawParams, ms), nil
}

// run takes a worker slot and runs one sampling job with the request's
// options; ms is the job's time, waiting excluded.
func (s *Server) run(ctx context.Context, job func(context.Context, sample.Options) (*sample.Result, error), p drawParams) (*sample.Result, float64, error) {
	release, err := s.lim.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer release()
	if s.hook != nil {
		s.hook()
	}
	start := time.Now()
	// Class (p.Class) is validated by checkDraw: given exactly when the
	// model is conditional, it holds the label input for every image.
	o := sample.Options{N: p.N, Seed: p.Seed, Temperature: p.Temperature, Method: s.method}
	if p.Class != nil {
		o.Cond = []sample.Cond{{Name: graph.CondInputs(s.g)[0].Name, Values: []int64{int64(*p.Class)}}}
	}
	res, err := job(ctx, o)
	return res, float64(time.Since(start).Microseconds()) / 1000, err
}

// levels shapes a result as n×H×W.
func (s *Server) levels(res *sample.Result, p drawParams, ms float64) Drawn {
	out := Drawn{Levels: Nest(res.Levels, res.N, res.H, res.W), NearBoundary: res.NearBoundary,
		Seed: p.Seed, Temperature: p.Temperature, Method: res.Method.String(), MS: ms}
	if out.NearBoundary == nil {
		out.NearBoundary = []int{}
	}
	return out
}

// Nest reshapes n·h·w levels (image-major, raster order) into n×h×w.
func Nest(flat []int32, n, h, w int) [][][]int32 {
	out := make([][][]int32, n)
	for i := range out {
		out[i] = make([][]int32, h)
		for y := range out[i] {
			k := (i*h + y) * w
			out[i][y] = flat[k : k+w : k+w]
		}
	}
	return out
}

func (s *Server) model(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/octet-stream")
	name := s.opts.Name
	if name == "" {
		name = "model.onnx"
	}
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(s.opts.Model))
}
