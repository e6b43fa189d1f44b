package serve

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/pixelgraph/pixelgraph/internal/deps"
)

// The page and its scripts. web/wasm/ holds pixelgraph.wasm and
// wasm_exec.js when `go generate ./serve` has built them (git-ignored);
// a binary built after that step carries the WASM engine.
//
//go:embed web
var webFS embed.FS

//go:generate go run ./internal/buildwasm web/wasm

// ORTWebVersion is the onnxruntime-web release the page is written for.
const ORTWebVersion = deps.ORTWebVersion

const (
	ortEntry = deps.ORTWebEntry
	wasmFile = "pixelgraph.wasm"
	wasmExec = "wasm_exec.js"
	ortHint  = "onnxruntime-web " + deps.ORTWebVersion + " is not installed: run scripts/install-test-deps.sh " +
		"(or npm install --prefix .deps/ort-web onnxruntime-web@" + deps.ORTWebVersion + ") " +
		"and start serve from the checkout, or pass --ort-web DIR (the package's dist folder)"
	wasmHint = "the WASM engine was not built into this binary: run `go generate ./serve` and rebuild " +
		"pixelgraph, or pass --wasm DIR (a folder with pixelgraph.wasm and wasm_exec.js)"
)

func staticFS() fs.FS {
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		panic(err) // "web" is a valid path: cannot happen
	}
	return sub
}

// embeddedWASM returns web/wasm when it holds a built engine, else nil.
func embeddedWASM() fs.FS {
	sub, err := fs.Sub(webFS, "web/wasm")
	if err != nil || !hasFile(sub, wasmFile) || !hasFile(sub, wasmExec) {
		return nil
	}
	return sub
}

func hasFile(fsys fs.FS, name string) bool {
	if fsys == nil {
		return false
	}
	fi, err := fs.Stat(fsys, name)
	return err == nil && fi.Mode().IsRegular()
}

// page serves index.html; its query (?mode=browser|wasm&n=&seed=) is read
// by the page's script.
func (s *Server) page(w http.ResponseWriter, r *http.Request) {
	b, err := fs.ReadFile(staticFS(), "index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(b)
}

// files serves the regular files of fsys under /prefix/ (no listings); a
// missing fsys or file is a 404 whose JSON says how to get the files.
func (s *Server) files(prefix string, fsys fs.FS, hint string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/"+prefix+"/")
		if fsys == nil {
			writeError(w, http.StatusNotFound, errors.New(hint))
			return
		}
		if !fs.ValidPath(name) || !hasFile(fsys, name) {
			writeError(w, http.StatusNotFound, &FieldError{Field: "path", Msg: "no file " + r.URL.Path})
			return
		}
		switch path.Ext(name) {
		case ".mjs", ".js":
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		case ".wasm":
			w.Header().Set("Content-Type", "application/wasm")
		}
		http.ServeFileFS(w, r, fsys, name)
	})
}
