// Package ortlib finds the ONNX Runtime shared library (libonnxruntime) and
// loads it into the process, for the code that runs ONNX Runtime outside
// tests (`pixelgraph bench`) and for internal/testenv, which drives it in
// tests. It is the one place that knows where the library lives.
//
// Invariants:
//   - The lookup order is: an explicit path (a --ort flag; see Check), then
//     $PIXELGRAPH_ORT_LIB, then RelPath (where scripts/install-test-deps.sh
//     puts it) under the working directory or a parent of it, up to and
//     including the module root (the first directory holding go.mod).
//   - An explicit path or $PIXELGRAPH_ORT_LIB that names no file is an error
//     of its own, never "not found": a wrong setting is not a missing tool.
//     Only the search failing wraps ErrNotFound.
//   - Init loads a library and initializes ONNX Runtime's environment once
//     per process; every later call returns the first call's result, and
//     Loaded names the library that was loaded. A process that initialized
//     ONNX Runtime by other means keeps its own environment.
//   - ONNX Runtime is reached through github.com/yalue/onnxruntime_go, which
//     needs cgo; in a CGO_ENABLED=0 build Init always fails with ErrNoCgo.
package ortlib
