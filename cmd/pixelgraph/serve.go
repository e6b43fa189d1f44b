package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	goruntime "runtime"
	"time"

	"github.com/pixelgraph/pixelgraph/dataset"
	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/internal/deps"
	"github.com/pixelgraph/pixelgraph/serve"
)

func init() {
	register(&command{
		name: "serve",
		args: "-m MODEL.onnx [--addr 127.0.0.1:8080 --threads T --max-n N --workers W --queue Q --timeout D --drain D --ort-web DIR --wasm DIR --data DIR]",
		short: "serve a web page and a JSON API that sample and complete digits on the server " +
			"and in the browser (onnxruntime-web, or our Go runtime in WASM)",
		run: runServe,
	})
}

type serveFlags struct {
	model, addr, ortWeb, wasm, data string
	threads, maxN, workers, queue   int
	timeout, drain                  time.Duration
}

func runServe(ctx context.Context, e *env, args []string) error {
	c := commands["serve"]
	fs := newFlagSet(c, e)
	var f serveFlags
	fs.StringVar(&f.model, "m", "", "model: an ONNX file (required)")
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "address to listen on (port 0: any free port; the line `listening on http://ADDR` on stdout names it)")
	fs.IntVar(&f.threads, "threads", 0, "threads for the Go samplers (GOMAXPROCS; 0 = all cores)")
	fs.IntVar(&f.maxN, "max-n", serve.DefaultMaxN, "largest n (images per request) of /api/sample and /api/complete")
	fs.IntVar(&f.workers, "workers", 0, "sampling requests that run at once (0 = --threads, or all cores)")
	fs.IntVar(&f.queue, "queue", serve.DefaultQueue, "sampling requests that may wait for a worker; past it: 429")
	fs.DurationVar(&f.timeout, "timeout", serve.DefaultTimeout, "time limit of one API request, waiting included; past it: 503")
	fs.DurationVar(&f.drain, "drain", 30*time.Second, "on SIGTERM or Ctrl-C, how long in-flight requests may take to finish")
	fs.StringVar(&f.ortWeb, "ort-web", "", "onnxruntime-web's dist folder (default: "+deps.ORTWebRelPath+" above the working directory, or $"+deps.EnvORTWeb+")")
	fs.StringVar(&f.wasm, "wasm", "", "folder with pixelgraph.wasm and wasm_exec.js (default: the ones `go generate ./serve` embedded, if any)")
	fs.StringVar(&f.data, "data", "", "directory with the MNIST IDX files for the completion view (default: "+dataset.Module+" in the module cache)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	switch {
	case len(pos) > 0:
		return usagef("unexpected argument %q", pos[0])
	case f.model == "":
		return usagef("-m MODEL is required")
	case f.threads < 0:
		return usagef("--threads must be >= 0, got %d", f.threads)
	case f.maxN < 1 || f.maxN > 4096:
		return usagef("--max-n must be in 1..4096, got %d", f.maxN)
	case f.workers < 0:
		return usagef("--workers must be >= 0, got %d", f.workers)
	case f.queue < 0:
		return usagef("--queue must be >= 0, got %d", f.queue)
	case f.timeout <= 0:
		return usagef("--timeout must be > 0, got %v", f.timeout)
	case f.drain <= 0:
		return usagef("--drain must be > 0, got %v", f.drain)
	}
	if f.threads > 0 {
		// the command owns the process: GOMAXPROCS is the libraries' default budget
		goruntime.GOMAXPROCS(f.threads)
	}
	srv, err := newServer(e, &f)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	return serveUntilSignal(ctx, e, srv, ln, &f)
}

// newServer loads the model and finds the browser engines' files.
func newServer(e *env, f *serveFlags) (*serve.Server, error) {
	g, err := export.DecodeFile(f.model, nil)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(f.model)
	if err != nil {
		return nil, err
	}
	opts := serve.Options{Model: b, Name: filepath.Base(f.model), MaxN: f.maxN, Workers: f.workers,
		Queue: f.queue, Timeout: f.timeout,
		Digits: func() (*dataset.Images, error) { return dataset.Load(f.data, dataset.Test) },
		Logf:   func(format string, args ...any) { fmt.Fprintf(e.stderr, "pixelgraph: serve: "+format+"\n", args...) }}
	if f.queue == 0 {
		opts.Queue = -1 // --queue 0: none may wait (Options' 0 means the default)
	}
	if opts.Workers == 0 && f.threads > 0 {
		opts.Workers = f.threads
	}
	if opts.ORTWeb, err = dirFS("--ort-web", f.ortWeb, deps.ORTWebEntry); err != nil {
		return nil, err
	}
	if f.ortWeb == "" {
		if d, err := deps.ORTWebDir(); err == nil {
			opts.ORTWeb = os.DirFS(d)
		}
	}
	if opts.WASM, err = dirFS("--wasm", f.wasm, "pixelgraph.wasm", "wasm_exec.js"); err != nil {
		return nil, err
	}
	srv, err := serve.New(g, opts)
	if err != nil {
		return nil, err
	}
	m, why := srv.Method()
	ort, wasm := srv.Engines()
	fmt.Fprintf(e.stderr, "serving %s: server sampler %v%s; onnxruntime-web %s; WASM engine %s\n",
		f.model, m, parenthesized(why), present(ort), present(wasm))
	return srv, nil
}

// dirFS opens dir (when given) and checks that it holds files.
func dirFS(flag, dir string, files ...string) (fs.FS, error) {
	if dir == "" {
		return nil, nil
	}
	for _, name := range files {
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() {
			return nil, usagef("%s %s: no file %s", flag, dir, p)
		}
	}
	return os.DirFS(dir), nil
}

func present(ok bool) string {
	if ok {
		return "present"
	}
	return "missing (the page says how to add it)"
}

func parenthesized(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

// serveUntilSignal prints the listening line and serves until ctx ends
// (main cancels it on SIGTERM or Ctrl-C); then it stops accepting, lets
// in-flight requests finish (up to --drain) and returns nil: exit 0.
func serveUntilSignal(ctx context.Context, e *env, h http.Handler, ln net.Listener, f *serveFlags) error {
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      f.timeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(e.stderr, "pixelgraph: serve: ", 0),
	}
	fmt.Fprintf(e.stdout, "listening on http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	fmt.Fprintf(e.stderr, "pixelgraph: serve: draining in-flight requests (up to %v)\n", f.drain)
	dctx, cancel := context.WithTimeout(context.Background(), f.drain)
	defer cancel()
	if err := hs.Shutdown(dctx); err != nil {
		return fmt.Errorf("draining: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(e.stderr, "pixelgraph: serve: stopped")
	return nil
}
