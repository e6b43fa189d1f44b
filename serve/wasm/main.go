//go:build js && wasm

// Command wasm is the page's own in-browser engine: this module's ONNX
// decoder and cached sampler compiled to WebAssembly (built by
// `go generate ./serve`, see serve/internal/buildwasm). It runs in a Web
// Worker (serve/web/wasm-worker.js) and sets one global, pixelgraph, with:
//
//	load(bytes Uint8Array) -> {error} | {height, width, levels, method, fallback}
//	sample(n, seed string, temperature, onProgress) -> {error} | {levels Int32Array, near []int, method, ms}
//	complete(known Int32Array (n·H·W), rows, seed string, temperature, onProgress) -> same
//
// onProgress(done, total) is called after each row of pixels.
//
// Draws are runtime/sample's: the same uniforms and categorical rule as the
// server, so the levels equal the server's except after a draw near a CDF
// boundary (listed in near).
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strconv"
	"syscall/js"
	"time"

	"github.com/pixelgraph/pixelgraph/export"
	"github.com/pixelgraph/pixelgraph/graph"
	"github.com/pixelgraph/pixelgraph/runtime/sample"
)

var (
	model *graph.Graph
	geo   sample.Geometry
	meth  = sample.Cached
)

func main() {
	js.Global().Set("pixelgraph", js.ValueOf(map[string]any{
		"load":     js.FuncOf(load),
		"sample":   js.FuncOf(func(_ js.Value, a []js.Value) any { return draw(a, false) }),
		"complete": js.FuncOf(func(_ js.Value, a []js.Value) any { return draw(a, true) }),
	}))
	select {}
}

func fail(err error) any { return js.ValueOf(map[string]any{"error": err.Error()}) }

func load(_ js.Value, a []js.Value) any {
	if len(a) != 1 {
		return fail(fmt.Errorf("load(bytes): got %d arguments", len(a)))
	}
	b := make([]byte, a[0].Get("length").Int())
	js.CopyBytesToGo(b, a[0])
	g, err := export.Decode(bytes.NewReader(b), nil)
	if err != nil {
		return fail(err)
	}
	gm, err := sample.GeometryOf(g)
	if err != nil {
		return fail(err)
	}
	model, geo, meth = g, gm, sample.Cached
	fallback := ""
	if err := sample.Prove(g); err != nil {
		meth, fallback = sample.Naive, err.Error()
	}
	return js.ValueOf(map[string]any{"height": geo.H, "width": geo.W, "levels": geo.Q,
		"method": meth.String(), "fallback": fallback})
}

// draw is sample(n, seed, temperature, onProgress) or, for complete,
// complete(known, rows, seed, temperature, onProgress).
func draw(a []js.Value, complete bool) any {
	if model == nil {
		return fail(fmt.Errorf("no model: call load first"))
	}
	k := 0 // complete has rows before seed
	if complete {
		k = 1
	}
	if len(a) != 4+k {
		return fail(fmt.Errorf("got %d arguments, want %d", len(a), 4+k))
	}
	seed, err := strconv.ParseUint(a[1+k].String(), 10, 64)
	if err != nil {
		return fail(fmt.Errorf("seed: %v", err))
	}
	opts := sample.Options{Seed: seed, Temperature: a[2+k].Float(), Method: meth}
	if cb := a[3+k]; cb.Type() == js.TypeFunction {
		opts.Progress = func(done, total int) {
			if done%geo.W == 0 || done == total {
				cb.Invoke(done, total)
			}
		}
	}
	start := time.Now()
	var res *sample.Result
	if complete {
		known := make([]int32, a[0].Get("length").Int())
		for i := range known {
			known[i] = int32(a[0].Index(i).Int())
		}
		res, err = sample.Complete(context.Background(), model, known, a[1].Int(), opts)
	} else {
		opts.N = a[0].Int()
		res, err = sample.Sample(context.Background(), model, opts)
	}
	if err != nil {
		return fail(err)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	raw := make([]byte, 4*len(res.Levels))
	for i, l := range res.Levels {
		binary.LittleEndian.PutUint32(raw[4*i:], uint32(l))
	}
	u8 := js.Global().Get("Uint8Array").New(len(raw))
	js.CopyBytesToJS(u8, raw)
	near := make([]any, len(res.NearBoundary))
	for i, k := range res.NearBoundary {
		near[i] = k
	}
	return js.ValueOf(map[string]any{
		"levels": js.Global().Get("Int32Array").New(u8.Get("buffer")),
		"near":   near, "method": res.Method.String(), "ms": ms,
	})
}
