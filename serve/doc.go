// Package serve is the HTTP side of `pixelgraph serve`: one handler that
// serves an embedded page, a JSON API over the Go samplers, the ONNX file
// itself, and the files two in-browser engines need (onnxruntime-web from
// its npm package, and this module's Go runtime compiled to WebAssembly).
//
// Routes (see API for the exact parameters and JSON shapes):
//
//	GET  /                 the page (web/index.html, go:embed)
//	GET  /api/info         config, levels, classes, input and output names, limits, engines
//	GET  /api/sample       ?n=&seed=&temperature=&class=&format=json|png&scale=
//	POST /api/complete     {"levels": H×W, "rows": R, "n": N, "seed": S, "temperature": T}
//	GET  /api/digits       ?first=&n= MNIST test digits quantized to the model's levels
//	GET  /model.onnx       the model file's bytes, unchanged
//	GET  /healthz          {"status":"ok"}
//	GET  /ort/...          onnxruntime-web's dist files (Options.ORTWeb)
//	GET  /wasm/...         pixelgraph.wasm and Go's wasm_exec.js (Options.WASM or embedded)
//
// Invariants:
//   - Same draws everywhere. The server samples with runtime/sample (cached
//     when the graph is provably causal); the page's engines replay the same
//     uniforms (web/pcg.js is Go's math/rand/v2 PCG and Float64, bit for bit)
//     and the same float64 categorical rule, so for one seed the server,
//     onnxruntime-web and the WASM sampler draw the same levels except after
//     a draw within sample.BoundaryEps of a CDF boundary, which every engine
//     reports (near_boundary) rather than hides.
//   - Bounded work. Every parameter and the request body are bounded; a bad
//     one is a 400 whose JSON names the field ({"error": ..., "field": ...}).
//     At most Options.Workers sampling jobs run at once and at most
//     Options.Queue wait for a slot: past that a request gets 429 at once,
//     and a request still waiting when its Options.Timeout ends gets 503.
//     Nothing queues without bound.
//   - A panic in a handler becomes a 500 with a JSON error; the process stays up.
//   - Every response carries COOP/COEP (same-origin, require-corp), so the
//     page is cross-origin isolated and onnxruntime-web may use WASM threads.
//   - The server is stateless apart from the model it was given: any number
//     of copies can sit behind a load balancer (docs/SERVING.md).
package serve
