package serve

import (
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	goruntime "runtime"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

// Defaults of Options' zero fields.
const (
	DefaultMaxN    = 64
	DefaultQueue   = 256
	DefaultTimeout = 60 * time.Second
	DefaultMaxBody = 1 << 20
)

// Options configure New. The zero value of each field is its documented default.
type Options struct {
	// Model is the ONNX file's bytes, served unchanged at /model.onnx.
	Model []byte
	// Name is shown on the page and in /api/info (the file's base name).
	Name string
	// MaxN bounds n of /api/sample and /api/complete; default DefaultMaxN.
	MaxN int
	// Workers is how many sampling jobs run at once; default GOMAXPROCS.
	Workers int
	// Queue is how many jobs may wait for a worker; past it, 429. Default
	// DefaultQueue; a negative value means none may wait.
	Queue int
	// Timeout bounds each API request, waiting included; default DefaultTimeout.
	Timeout time.Duration
	// MaxBody bounds a POST body in bytes; default DefaultMaxBody.
	MaxBody int64
	// ORTWeb holds onnxruntime-web's dist files (ort.wasm.min.mjs,
	// ort-wasm-simd-threaded.{mjs,wasm}); nil: /ort/ answers 404 saying how
	// to install them and the page disables that engine.
	ORTWeb fs.FS
	// WASM holds pixelgraph.wasm and wasm_exec.js; nil: the files embedded
	// by `go generate ./serve` if present, else /wasm/ answers 404 saying
	// how to build them.
	WASM fs.FS
	// Digits loads the MNIST test digits for the completion view; nil or an
	// error: the page offers drawing only.
	Digits func() (*dataset.Images, error)
	// Logf reports panics and internal errors; nil discards them.
	Logf func(format string, args ...any)
}

// Server answers the routes listed in the package doc for one model.
type Server struct {
	opts     Options
	g        *graph.Graph
	geo      sample.Geometry
	method   sample.Method // what the server's sampler runs: Cached or Naive
	fallback string        // why not Cached, when Naive
	classes  int
	lim      *limiter
	ortWeb   fs.FS
	wasm     fs.FS
	digits   *digitSet
	mux      *http.ServeMux

	// hook, when set (tests), runs inside a sampling job's slot.
	hook func()
}

// New checks that g can be sampled and returns its server. g must be the
// graph decoded from opts.Model.
func New(g *graph.Graph, opts Options) (*Server, error) {
	if len(opts.Model) == 0 {
		return nil, errors.New("serve: Options.Model is empty")
	}
	geo, err := sample.GeometryOf(g)
	if err != nil {
		return nil, fmt.Errorf("serve: %w", err)
	}
	if opts.MaxN <= 0 {
		opts.MaxN = DefaultMaxN
	}
	if opts.Workers <= 0 {
		opts.Workers = goruntime.GOMAXPROCS(0)
	}
	switch {
	case opts.Queue == 0:
		opts.Queue = DefaultQueue
	case opts.Queue < 0:
		opts.Queue = 0
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.Logf == nil {
		opts.Logf = func(string, ...any) {}
	}
	s := &Server{opts: opts, g: g, geo: geo, method: sample.Cached, classes: Classes(g),
		lim: newLimiter(opts.Workers, opts.Queue), ortWeb: opts.ORTWeb, wasm: opts.WASM}
	if err := sample.Prove(g); err != nil {
		s.method, s.fallback = sample.Naive, err.Error()
	}
	if s.wasm == nil {
		s.wasm = embeddedWASM()
	}
	s.digits = newDigitSet(opts.Digits, geo)
	s.routes()
	return s, nil
}

// Method is the server sampler's method (Cached, or Naive with Fallback's reason).
func (s *Server) Method() (m sample.Method, fallback string) { return s.method, s.fallback }

// Engines reports which in-browser engines have their files.
func (s *Server) Engines() (ortWeb, wasm bool) {
	return hasFile(s.ortWeb, ortEntry), hasFile(s.wasm, wasmFile)
}

// ServeHTTP serves every route with the isolation headers and panic recovery.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Embedder-Policy", "require-corp")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("X-Content-Type-Options", "nosniff")
	defer s.recoverPanic(w, r)
	s.mux.ServeHTTP(w, r)
}

func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /{$}", s.page)
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(staticFS())))
	m.HandleFunc("GET /api/info", s.api(s.info))
	m.HandleFunc("GET /api/sample", s.api(s.sample))
	m.HandleFunc("POST /api/complete", s.api(s.complete))
	m.HandleFunc("GET /api/digits", s.api(s.digitsAPI))
	m.HandleFunc("GET /model.onnx", s.model)
	m.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	m.Handle("GET /ort/", s.files("ort", s.ortWeb, ortHint))
	m.Handle("GET /wasm/", s.files("wasm", s.wasm, wasmHint))
	m.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, &FieldError{Field: "path", Msg: fmt.Sprintf("no API route %s %s", r.Method, r.URL.Path)})
	})
	s.mux = m
}
