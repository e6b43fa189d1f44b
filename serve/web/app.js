// The page: samples and completions from the server or from an in-browser
// engine. ?mode=browser|wasm&n=N&seed=S[&temperature=T] samples in the
// browser by itself and, once drawn, writes {"levels": n×H×W, ...} into
// #browser-levels and sets data-state="done" on <body> (for tests and
// scripts driving the page through DevTools, e.g. chromedp).
import { engines } from "./engines.js";

const $ = (id) => document.getElementById(id);
let info = null;
let drawing = null; // the completion input: H·W levels
let busy = false;

function fail(err) {
  console.error(err);
  $("error").hidden = false;
  $("error").textContent = String(err && err.stack || err);
  document.body.dataset.state = "error";
  setStatus("error: " + (err && err.message || err));
}

function setStatus(text) { $("status").textContent = text; }

function progress(done, total) {
  $("progress").max = total;
  $("progress").value = done;
}

// nest reshapes flat levels to n×H×W arrays (the API's JSON shape).
function nest(flat, n) {
  const { height: H, width: W } = info, out = [];
  for (let i = 0; i < n; i++) {
    const img = [];
    for (let y = 0; y < H; y++) img.push(Array.from(flat.subarray((i * H + y) * W, (i * H + y + 1) * W)));
    out.push(img);
  }
  return out;
}

// canvasOf draws images (flat levels, n of them) as a grid of cols columns.
function canvasOf(flat, n, cols, scale, keepRows) {
  const { height: H, width: W, levels: q } = info, gap = 1;
  const rows = Math.ceil(n / cols);
  const c = document.createElement("canvas");
  c.width = cols * (W * scale + gap) - gap;
  c.height = rows * (H * scale + gap) - gap;
  const g = c.getContext("2d");
  g.fillStyle = "#333";
  g.fillRect(0, 0, c.width, c.height);
  for (let i = 0; i < n; i++) {
    const ox = (i % cols) * (W * scale + gap), oy = Math.floor(i / cols) * (H * scale + gap);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = Math.floor(flat[(i * H + y) * W + x] * 255 / (q - 1));
        g.fillStyle = `rgb(${v},${v},${v})`;
        g.fillRect(ox + x * scale, oy + y * scale, scale, scale);
      }
    }
    if (keepRows !== undefined) {
      g.fillStyle = "rgba(220,60,60,0.9)";
      g.fillRect(ox, oy + keepRows * scale - 1, W * scale, 2);
    }
  }
  return c;
}

function panel(parent, canvas, caption, max) {
  const f = document.createElement("figure");
  const cap = document.createElement("figcaption");
  cap.textContent = caption;
  f.append(canvas, cap);
  parent.prepend(f);
  while (parent.children.length > max) parent.lastChild.remove();
}

function timeRow(engine, what, n, r) {
  const tr = document.createElement("tr");
  const cells = [engines[engine].label + (r.method ? ` [${r.method}]` : ""), what, n,
    `${r.ms.toFixed(1)} ms`, `${(r.ms / n).toFixed(1)} ms`, r.near.length];
  cells.forEach((v, k) => {
    const td = document.createElement("td");
    td.textContent = v;
    if (k >= 2) td.className = "num";
    tr.append(td);
  });
  $("times").prepend(tr);
}

// run draws with one engine; req: {n, seed, temperature[, known, rows]}.
async function run(engine, req, what) {
  setStatus(`${engines[engine].label}: ${what}…`);
  progress(0, 1);
  const r = await engines[engine].draw(info, req, progress);
  timeRow(engine, what, req.n, r);
  setStatus(`${engines[engine].label}: ${req.n} images in ${r.ms.toFixed(0)} ms`);
  return r;
}

function params() {
  const seed = $("seed").value.trim();
  if (!/^\d+$/.test(seed)) throw new Error(`seed must be a non-negative integer, got "${seed}"`);
  const p = { n: Number($("n").value), seed, temperature: Number($("temperature").value) };
  if (info.classes > 0) p.class = Number($("class").value); // a conditional model: the server needs its class
  return p;
}

function engine() { return document.querySelector("input[name=engine]:checked").value; }

async function sampleClicked(ev) {
  ev.preventDefault();
  if (busy) return;
  busy = true;
  try {
    const req = params(), e = engine();
    const r = await run(e, req, "sample");
    const cols = Math.ceil(Math.sqrt(req.n));
    panel($("results"), canvasOf(r.levels, req.n, cols, 3), `${engines[e].label}, seed ${req.seed}, T ${req.temperature}: ${r.ms.toFixed(0)} ms`, 4);
  } catch (err) { fail(err); } finally { busy = false; }
}

// --- completion input: a test digit or a drawing ---

function paintInput() {
  const { height: H, width: W, levels: q } = info, c = $("draw"), g = c.getContext("2d");
  const s = c.width / W, keep = Number($("rows").value);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const v = Math.floor(drawing[y * W + x] * 255 / (q - 1));
      g.fillStyle = y < keep ? `rgb(${v},${v},${v})` : `rgb(${v >> 2},${v >> 2},${(v >> 2) + 30})`;
      g.fillRect(x * s, y * s, s, s);
    }
  }
  g.fillStyle = "rgba(220,60,60,0.9)";
  g.fillRect(0, keep * s - 1, c.width, 2);
}

async function loadDigit() {
  const r = await fetch(`/api/digits?first=${Number($("digit").value)}&n=1`);
  const j = await r.json();
  if (!r.ok) throw new Error(j.error);
  drawing = Int32Array.from(j.levels[0].flat());
  paintInput();
}

function setupDrawing() {
  const c = $("draw");
  let down = false;
  const paint = (ev) => {
    const { height: H, width: W, levels: q } = info, rect = c.getBoundingClientRect();
    const fx = (ev.clientX - rect.left) / rect.width * W, fy = (ev.clientY - rect.top) / rect.height * H;
    for (let y = Math.floor(fy - 1.5); y <= fy + 1.5; y++) {
      for (let x = Math.floor(fx - 1.5); x <= fx + 1.5; x++) {
        if (x < 0 || y < 0 || x >= W || y >= H) continue;
        const d = Math.hypot(x + 0.5 - fx, y + 0.5 - fy);
        const l = d < 0.9 ? q - 1 : d < 1.6 ? Math.floor((q - 1) / 2) : 0;
        drawing[y * W + x] = Math.max(drawing[y * W + x], l);
      }
    }
    paintInput();
  };
  c.addEventListener("pointerdown", (ev) => { down = true; c.setPointerCapture(ev.pointerId); paint(ev); });
  c.addEventListener("pointermove", (ev) => { if (down) paint(ev); });
  c.addEventListener("pointerup", () => { down = false; });
  $("clear").onclick = () => { drawing.fill(0); paintInput(); };
  $("load-digit").onclick = () => loadDigit().catch(fail);
  $("rows").oninput = () => { $("rows-out").value = $("rows").value; paintInput(); };
}

// completeWith completes the input (its kept rows) with one engine.
async function completeWith(e, seed, temperature) {
  const px = info.height * info.width;
  const req = { n: Number($("cn").value), rows: Number($("rows").value), seed, temperature };
  req.known = new Int32Array(req.n * px);
  for (let i = 0; i < req.n; i++) req.known.set(drawing, i * px);
  const r = await run(e, req, `complete (${req.rows} rows kept)`);
  panel($("completions"), canvasOf(r.levels, req.n, req.n, 4, req.rows), `${engines[e].label}: ${r.ms.toFixed(0)} ms`, 3);
}

async function completeClicked(ev) {
  ev.preventDefault();
  if (busy) return;
  busy = true;
  try {
    const p = params();
    await completeWith(engine(), p.seed, p.temperature);
  } catch (err) { fail(err); } finally { busy = false; }
}

// --- start ---

async function main() {
  const r = await fetch("/api/info");
  info = await r.json();
  if (!r.ok) throw new Error(info.error);
  const c = info.config;
  $("model").textContent = `${info.name}: ${info.height}x${info.width}, q = ${info.levels} levels` +
    (c ? `, ${c.blocks} blocks, ${c.filters} filters` : "") + `; inputs ${info.inputs.join(", ")}; server sampler: ${info.method}` +
    (info.fallback ? ` (${info.fallback})` : "");
  $("eps").textContent = String(info.boundary_eps);
  $("n").max = $("cn").max = info.limits.n;
  $("rows").max = info.height;
  if (info.classes > 0) {
    $("class-picker").hidden = false;
    for (let k = 0; k < info.classes; k++) $("class").add(new Option(String(k), String(k)));
  }
  // The in-browser samplers feed the image input only: a conditional model
  // is sampled by the server (with its class).
  const condNote = info.classes > 0 ? "a class-conditional model: the server samples it" : "";
  for (const [key, missing] of [["browser", info.engines.onnxruntime_web_missing || condNote], ["wasm", info.engines.wasm_missing || condNote]]) {
    if (missing) {
      const input = document.querySelector(`input[name=engine][value=${key}]`);
      input.disabled = true;
      input.parentElement.title = missing;
    }
  }
  drawing = new Int32Array(info.height * info.width);
  setupDrawing();
  if (info.digits > 0) await loadDigit(); else { $("load-digit").disabled = true; paintInput(); }
  $("sample-form").onsubmit = sampleClicked;
  $("complete-form").onsubmit = completeClicked;

  const q = new URLSearchParams(location.search), mode = q.get("mode");
  if (q.has("n")) $("n").value = q.get("n");
  if (q.has("seed")) $("seed").value = q.get("seed");
  if (q.has("temperature")) $("temperature").value = q.get("temperature");
  const req = params();
  // The server's grid first, then (with ?mode=) the in-browser sampler.
  const sr = await run("server", req, "sample");
  const cols = Math.ceil(Math.sqrt(req.n));
  panel($("results"), canvasOf(sr.levels, req.n, cols, 3), `server, seed ${req.seed}, T ${req.temperature}: ${sr.ms.toFixed(0)} ms`, 4);
  if (info.digits > 0) await completeWith("server", req.seed, req.temperature);
  if (mode === "browser" || mode === "wasm") {
    if (q.has("threads")) req.threads = Number(q.get("threads"));
    document.querySelector(`input[name=engine][value=${mode}]`).checked = true;
    const br = await run(mode, req, "sample");
    panel($("results"), canvasOf(br.levels, req.n, cols, 3), `${engines[mode].label}, seed ${req.seed}, T ${req.temperature}: ${br.ms.toFixed(0)} ms`, 4);
    $("browser-levels").textContent = JSON.stringify({
      levels: nest(br.levels, req.n), near_boundary: br.near, engine: mode, method: br.method,
      ms: br.ms, server_ms: sr.ms,
    });
  } else if (mode) {
    throw new Error(`unknown mode "${mode}" (want browser or wasm)`);
  }
  document.body.dataset.state = "done";
}

main().catch(fail);
