// The page's three samplers. Each returns {levels: Int32Array (n·H·W,
// image-major, raster order), near: [image·H·W + pixel, ...], ms, method}
// and reports progress(done, total) in pixels.
import { uniforms, categorical, logProbs } from "./pcg.js";

// server: GET /api/sample, or POST /api/complete.
export async function serverDraw(info, req, progress) {
  const t0 = performance.now();
  let resp;
  if (req.known) {
    const rows = [];
    for (let y = 0; y < req.rows; y++) rows.push(Array.from(req.known.subarray(y * info.width, (y + 1) * info.width)));
    const cls = req.class === undefined ? "" : `,"class":${req.class}`;
    const body = `{"levels":${JSON.stringify(rows)},"rows":${req.rows},"n":${req.n},"seed":${req.seed},"temperature":${req.temperature}${cls}}`;
    resp = await fetch("/api/complete", { method: "POST", headers: { "Content-Type": "application/json" }, body });
  } else {
    const cls = req.class === undefined ? "" : `&class=${req.class}`;
    resp = await fetch(`/api/sample?n=${req.n}&seed=${req.seed}&temperature=${req.temperature}${cls}`);
  }
  const j = await resp.json();
  if (!resp.ok) throw new Error(`server: ${j.error}`);
  progress(1, 1);
  return { levels: Int32Array.from(j.levels.flat(2)), near: j.near_boundary, ms: performance.now() - t0, method: j.method, serverMs: j.ms };
}

let ortSession = null;

// ortNaive: onnxruntime-web, one forward pass of the batch per pixel (the
// reference sampler of runtime/sample, written again in JavaScript).
export async function ortDraw(info, req, progress) {
  if (!info.engines.onnxruntime_web) throw new Error(info.engines.onnxruntime_web_missing);
  const ort = await import(info.engines.onnxruntime_web_entry);
  if (!ortSession) {
    ort.env.wasm.wasmPaths = "/ort/";
    ort.env.wasm.numThreads = req.threads || (self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1);
    const bytes = new Uint8Array(await (await fetch("/model.onnx")).arrayBuffer());
    ortSession = await ort.InferenceSession.create(bytes, { executionProviders: ["wasm"] });
  }
  const s = ortSession, { height: H, width: W, levels: q } = info, px = H * W, n = req.n;
  const inName = s.inputNames[0], outName = s.outputNames[0];
  const x = new Float32Array(n * px), levels = new Int32Array(n * px), near = [];
  const scale = Math.fround(1 / (q - 1));
  const seed = BigInt(req.seed), u = [];
  for (let i = 0; i < n; i++) u.push(uniforms(seed, i, px));
  const start = (req.rows || 0) * W;
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < start; p++) {
      levels[i * px + p] = req.known[i * px + p];
      x[i * px + p] = Math.fround(req.known[i * px + p] * scale);
    }
  }
  const buf = new Float32Array(q);
  const t0 = performance.now();
  for (let p = start; p < px; p++) {
    const out = await s.run({ [inName]: new ort.Tensor("float32", x, [n, 1, H, W]) });
    const logits = out[outName].data;
    for (let i = 0; i < n; i++) {
      let col = logits, off = i * q * px + p, stride = px;
      if (info.probs) { col = logProbs(logits, off, px, q, buf); off = 0; stride = 1; }
      const [l, nr] = categorical(col, off, stride, q, req.temperature, u[i][p], info.boundary_eps);
      if (nr) near.push(i * px + p);
      levels[i * px + p] = l;
      x[i * px + p] = Math.fround(l * scale);
    }
    out[outName].dispose();
    if ((p + 1) % W === 0) progress(p + 1, px);
  }
  near.sort((a, b) => a - b);
  return { levels, near, ms: performance.now() - t0, method: "naive" };
}

let worker = null, nextID = 0, wasmLoaded = null;
const pending = new Map();

function call(msg, progress, transfer) {
  const id = ++nextID;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject, progress });
    worker.postMessage({ ...msg, id }, transfer || []);
  });
}

// wasmDraw: this module's Go runtime compiled to WebAssembly, running the
// cached sampler in a Web Worker.
export async function wasmDraw(info, req, progress) {
  if (!info.engines.wasm) throw new Error(info.engines.wasm_missing);
  if (!worker) {
    worker = new Worker("/static/wasm-worker.js");
    worker.onmessage = (e) => {
      const m = e.data, p = pending.get(m.id);
      if (!p) return;
      if (m.progress) { p.progress && p.progress(...m.progress); return; }
      pending.delete(m.id);
      m.error ? p.reject(new Error(`wasm: ${m.error}`)) : p.resolve(m.result);
    };
    const bytes = await (await fetch("/model.onnx")).arrayBuffer();
    wasmLoaded = call({ cmd: "load", bytes }, null, [bytes]);
  }
  await wasmLoaded;
  const seed = String(req.seed);
  const r = req.known
    ? await call({ cmd: "complete", known: req.known, rows: req.rows, seed, temperature: req.temperature }, progress)
    : await call({ cmd: "sample", n: req.n, seed, temperature: req.temperature }, progress);
  return { levels: r.levels, near: Array.from(r.near), ms: r.wallMs, method: r.method, goMs: r.ms };
}

export const engines = {
  server: { label: "server (Go, cached sampler)", draw: serverDraw },
  browser: { label: "this browser: onnxruntime-web (pixel by pixel)", draw: ortDraw },
  wasm: { label: "this browser: Go runtime in WASM (cached sampler)", draw: wasmDraw },
};
