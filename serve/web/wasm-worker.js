// Runs the Go WASM engine (serve/wasm) off the page's main thread. Messages:
//   {id, cmd: "load", bytes}                        -> {id, result} | {id, error}
//   {id, cmd: "sample", n, seed, temperature}        -> {id, progress: [done, total]}*, {id, result}
//   {id, cmd: "complete", known, rows, seed, temperature} -> same
importScripts("/wasm/wasm_exec.js");

let ready = null;
function init() {
  if (!ready) {
    const go = new Go();
    ready = WebAssembly.instantiateStreaming(fetch("/wasm/pixelgraph.wasm"), go.importObject)
      .then((r) => { go.run(r.instance); });
  }
  return ready;
}

onmessage = async (e) => {
  const m = e.data;
  try {
    await init();
    const progress = (done, total) => postMessage({ id: m.id, progress: [done, total] });
    let r;
    const t0 = performance.now();
    switch (m.cmd) {
      case "load": r = pixelgraph.load(new Uint8Array(m.bytes)); break;
      case "sample": r = pixelgraph.sample(m.n, m.seed, m.temperature, progress); break;
      case "complete": r = pixelgraph.complete(m.known, m.rows, m.seed, m.temperature, progress); break;
      default: throw new Error("unknown command " + m.cmd);
    }
    if (r.error) throw new Error(r.error);
    r.wallMs = performance.now() - t0;
    postMessage({ id: m.id, result: r });
  } catch (err) {
    postMessage({ id: m.id, error: String(err && err.message || err) });
  }
};
