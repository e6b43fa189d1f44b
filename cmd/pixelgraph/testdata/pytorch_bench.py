"""PyTorch twins of pixelgraph's models, timed for `pixelgraph bench`.

A twin builds in PyTorch the network pixelgraph builds in Go, under the
same parameter names, and times the training step train.Trainer.Step
does: forward, per-pixel cross-entropy over the q levels, backward, global
grad-norm clip 1.0, Adam (lr 1e-3), on a fixed batch of random levels,
with torch.set_num_threads(THREADS).

usage: python3 pytorch_bench.py SPEC BATCH THREADS BUDGET_SECONDS [--serve]

SPEC is JSON: {"twin": NAME, "config": {...}}, NAME a key of TWINS below
and config what that twin is built from. A bare graph.Config
({"levels":4,"channels":1,"height":28,"width":28,"filters":128,...}) means
the "pixelcnn" twin.

Alone, it warms up, repeats the step until BUDGET seconds (at least 3
times) and prints one JSON line:

  {"bench":"train","engine":"pytorch","img_per_s":...,"cpu_img_per_s":...,
   "reps":...,"peak_rss_mb":...,"version":...}

With --serve (how `pixelgraph bench` runs it, so that its steps alternate
with gorgonia's under the same machine load) it warms up, prints
{"ready":true,"version":...,"params":N}, then reads commands, one per line:

  step              run one step; prints {"wall":s,"cpu":s}
  check ["IN","OUT"] (a JSON list of two paths)
                    builds a fresh twin, loads pixelgraph's weights and an
                    input from the file IN, runs one forward pass (no
                    grad) and writes the logits to OUT as float32
                    (little-endian, NCHW); prints {"params":N,"shape":[...]}
                    or {"error":...}
  done (or EOF)     prints {"peak_rss_mb":...} and exits

IN is a JSON header line {"tensors":[{"name":...,"shape":[...]},...],
"input":[N,C,H,W]} and then the float32 data of each tensor in that order
and of the input. Every parameter of the twin must find its tensor by name
with the same shape, and every tensor must be used: a twin that is not the
same model fails the check instead of loading part of it.

peak_rss_mb is this process's VmHWM (/proc/self/status); ru_maxrss is not
used because after a vfork-style exec it includes the parent's peak.
"""
import array
import json
import resource
import sys
import time


def mask(torch, kind, k, kw=None):
    """graph.Mask(kind, k, kw): A/B keep the rows above the centre and the
    centre row up to the centre (A without it, B with it); the Gated
    PixelCNN's VA keeps the rows above, VB those and the centre row, HA the
    centre row left of the centre, HB up to and including it."""
    kw = k if kw is None else kw
    m = torch.zeros(k, kw)
    c, cc = k // 2, kw // 2
    for r in range(k):
        for col in range(kw):
            keep = {
                "A": r < c or (r == c and col < cc),
                "B": r < c or (r == c and col <= cc),
                "VA": r < c,
                "VB": r <= c,
                "HA": r == c and col < cc,
                "HB": r == c and col <= cc,
            }[kind]
            if keep:
                m[r, col] = 1
    return m


def pixelcnn(torch, nn, F, cfg):
    """graph.PixelCNN: mask A kxk conv to 2h filters; residual blocks
    x + c(relu(b(relu(a(relu(x)))))) with a: 1x1 2h->h, b: masked B kxk
    h->h, c: 1x1 h->2h; head relu -> 1x1 -> relu -> 1x1 -> 1x1 to q.
    Returns the model class and the pixelgraph name of a parameter."""

    class MaskedConv2d(nn.Conv2d):
        def __init__(self, kind, cin, cout, k):
            super().__init__(cin, cout, k, padding=k // 2)
            self.register_buffer("mask", mask(torch, kind, k).expand_as(self.weight).clone())

        def forward(self, x):
            # Same as the common PixelCNN implementations: zero the masked
            # taps in place, then a dense conv (PyTorch does not skip them).
            with torch.no_grad():
                self.weight.mul_(self.mask)
            return super().forward(x)

    f, h, hd, q = cfg["filters"], cfg["hidden"], cfg["head"], cfg["levels"]
    ch, fk, bk = cfg["channels"], cfg["first_kernel"], cfg["block_kernel"]

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Conv2d(f, h, 1)
            self.b = MaskedConv2d("B", h, h, bk)
            self.c = nn.Conv2d(h, f, 1)

        def forward(self, x):
            y = self.a(F.relu(x))
            y = self.b(F.relu(y))
            y = self.c(F.relu(y))
            return x + y

    class PixelCNN(nn.Module):
        def __init__(self):
            super().__init__()
            self.inp = MaskedConv2d("A", ch, f, fk)
            self.blocks = nn.Sequential(*[Block() for _ in range(cfg["blocks"])])
            self.out1 = nn.Conv2d(f, hd, 1)
            self.out2 = nn.Conv2d(hd, hd, 1)
            self.logits = nn.Conv2d(hd, q * ch, 1)

        def forward(self, x):
            y = self.blocks(self.inp(x))
            y = self.out1(F.relu(y))
            y = self.out2(F.relu(y))
            return self.logits(y)

    def pg_name(key):
        # inp.weight -> in/W; blocks.3.b.bias -> res03/b/B; out1.weight -> head/out1/W
        parts = key.split(".")
        kind = {"weight": "W", "bias": "B"}[parts[-1]]
        if parts[0] == "inp":
            return "in/" + kind
        if parts[0] == "blocks":
            return "res%02d/%s/%s" % (int(parts[1]), parts[2], kind)
        return "head/%s/%s" % (parts[0], kind)

    return PixelCNN, pg_name


def gated(torch, nn, F, cfg):
    """graph.GatedPixelCNN (unconditional): per layer a k×k vertical conv
    (mask VA in layer 0, VB after) to 2c, a 1x1 link of it, a 1×k
    horizontal conv (HA, HB) to 2c plus the link, gates tanh(a)·σ(b) on the
    channel halves, 1x1 skip (summed over layers) and residual (not in the
    last layer; added to the horizontal input from layer 1); head relu ->
    1x1 c->head -> relu -> 1x1 head->q."""
    if cfg.get("classes"):
        raise ValueError("the gated twin is unconditional (classes 0)")

    class MaskedConv2d(nn.Conv2d):
        def __init__(self, kind, cin, cout, kh, kw):
            super().__init__(cin, cout, (kh, kw), padding=(kh // 2, kw // 2))
            self.register_buffer("mask", mask(torch, kind, kh, kw).expand_as(self.weight).clone())

        def forward(self, x):
            with torch.no_grad():
                self.weight.mul_(self.mask)
            return super().forward(x)

    c, hd, q, ch = cfg["filters"], cfg["head"], cfg["levels"], cfg["channels"]
    L, fk, bk = cfg["layers"], cfg["first_kernel"], cfg["block_kernel"]

    def gate(x):
        a, b = x.chunk(2, dim=1)
        return torch.tanh(a) * torch.sigmoid(b)

    class Layer(nn.Module):
        def __init__(self, i):
            super().__init__()
            cin = ch if i == 0 else c
            k = fk if i == 0 else bk
            self.v = MaskedConv2d("VA" if i == 0 else "VB", cin, 2 * c, k, k)
            self.link = nn.Conv2d(2 * c, 2 * c, 1)
            self.h = MaskedConv2d("HA" if i == 0 else "HB", cin, 2 * c, 1, k)
            self.skip = nn.Conv2d(c, c, 1)
            self.last, self.first = i == L - 1, i == 0
            if not self.last:
                self.res = nn.Conv2d(c, c, 1)

        def forward(self, v, h):
            vp = self.v(v)
            link = self.link(vp)
            vout = None if self.last else gate(vp)
            g = gate(self.h(h) + link)
            hout = None
            if not self.last:
                hout = self.res(g)
                if not self.first:
                    hout = hout + h
            return vout, hout, self.skip(g)

    class Gated(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([Layer(i) for i in range(L)])
            self.out = nn.Conv2d(c, hd, 1)
            self.logits = nn.Conv2d(hd, q * ch, 1)

        def forward(self, x):
            v, h, skip = x, x, None
            for layer in self.layers:
                v, h, s = layer(v, h)
                skip = s if skip is None else skip + s
            return self.logits(F.relu(self.out(F.relu(skip))))

    def pg_name(key):
        # layers.3.v.weight -> g03/v/W; out.bias -> head/out/B
        parts = key.split(".")
        kind = {"weight": "W", "bias": "B"}[parts[-1]]
        if parts[0] == "layers":
            return "g%02d/%s/%s" % (int(parts[1]), parts[2], kind)
        return "head/%s/%s" % (parts[0], kind)

    return Gated, pg_name


# TWINS maps a twin's name (benchModel.twin in cmd/pixelgraph) to the
# function that builds it from its config: (torch, nn, F, config) ->
# (model class, pixelgraph name of a parameter key). A new model adds one.
TWINS = {"pixelcnn": pixelcnn, "gated": gated}


def read_check_input(torch, path):
    with open(path, "rb") as f:
        header = json.loads(f.readline())
        data = f.read()
    flat = torch.frombuffer(bytearray(data), dtype=torch.float32)
    tensors, off = {}, 0
    for t in header["tensors"]:
        n = 1
        for d in t["shape"]:
            n *= d
        tensors[t["name"]] = flat[off:off + n].reshape(t["shape"])
        off += n
    n = 1
    for d in header["input"]:
        n *= d
    x = flat[off:off + n].reshape(header["input"])
    if off + n != flat.numel():
        raise ValueError("%s: %d floats, header accounts for %d" % (path, flat.numel(), off + n))
    return tensors, x


def check(torch, Model, pg_name, src, dst):
    tensors, x = read_check_input(torch, src)
    model = Model()
    state = {}
    params = dict(model.named_parameters())
    for key, p in model.state_dict().items():
        if key not in params:
            state[key] = p  # a buffer of the twin's own (a mask), not a parameter
            continue
        name = pg_name(key)
        if name not in tensors:
            raise KeyError("twin parameter %s (%s): no tensor %s in %s" % (key, tuple(p.shape), name, src))
        if tuple(tensors[name].shape) != tuple(p.shape):
            raise ValueError("twin parameter %s: shape %s, pixelgraph's %s is %s" %
                             (key, tuple(p.shape), name, tuple(tensors[name].shape)))
        state[key] = tensors.pop(name)
    if tensors:
        raise ValueError("pixelgraph tensors the twin has no parameter for: %s" % ", ".join(sorted(tensors)))
    model.load_state_dict(state, strict=True)
    with torch.no_grad():
        y = model(x).contiguous()
    out = array.array("f", y.flatten().tolist())
    if sys.byteorder != "little":
        out.byteswap()
    with open(dst, "wb") as f:
        f.write(out.tobytes())
    return {"params": sum(p.numel() for p in model.parameters()), "shape": list(y.shape)}


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - report any import failure
        print(json.dumps({"bench": "train", "engine": "pytorch",
                          "error": "import torch: %s" % e}), flush=True)
        return 0
    spec = json.loads(sys.argv[1])
    if "twin" not in spec:
        spec = {"twin": "pixelcnn", "config": spec}
    batch, threads, budget = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    serve = "--serve" in sys.argv[5:]
    min_reps = 3
    torch.set_num_threads(threads)
    torch.manual_seed(1)

    if spec["twin"] not in TWINS:
        print(json.dumps({"error": "no PyTorch twin %r (have %s)" % (spec["twin"], ", ".join(sorted(TWINS)))}), flush=True)
        return 0
    cfg = spec["config"]
    Model, pg_name = TWINS[spec["twin"]](torch, nn, F, cfg)
    model = Model()
    params = sum(p.numel() for p in model.parameters())
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    q, hh, ww = cfg["levels"], cfg["height"], cfg["width"]
    g = torch.Generator().manual_seed(1)
    target = torch.randint(0, q, (batch, hh, ww), generator=g)
    x = (target.float() / (q - 1)).unsqueeze(1)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), target)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    def peak_rss_mb():
        try:
            with open("/proc/self/status") as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1]) / 1024.0
        except OSError:
            pass
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

    def timed_step():
        c0, t0 = time.process_time(), time.perf_counter()
        step()
        return time.perf_counter() - t0, time.process_time() - c0

    step()  # warm-up
    version = "torch " + torch.__version__
    if serve:
        print(json.dumps({"ready": True, "version": version, "params": params}), flush=True)
        for cmd in sys.stdin:
            if cmd.strip() == "step":
                w, c = timed_step()
                print(json.dumps({"wall": w, "cpu": c}), flush=True)
            elif cmd.startswith("check "):
                try:
                    src, dst = json.loads(cmd[len("check "):])
                    r = check(torch, Model, pg_name, src, dst)
                except Exception as e:  # noqa: BLE001 - the Go side reports it
                    r = {"error": "%s: %s" % (type(e).__name__, e)}
                print(json.dumps(r), flush=True)
            else:
                break
        print(json.dumps({"peak_rss_mb": peak_rss_mb()}), flush=True)
        return 0

    walls, cpus, spent = [], [], 0.0
    while len(walls) < min_reps or (spent < budget and len(walls) < 1000):
        w, c = timed_step()
        walls.append(w)
        cpus.append(c)
        spent += w

    def median(v):
        s = sorted(v)
        n = len(s)
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2

    wm, cm = median(walls), median(cpus)
    line = {"bench": "train", "engine": "pytorch", "img_per_s": batch / wm,
            "reps": len(walls), "batch": batch, "threads": threads,
            "peak_rss_mb": peak_rss_mb(), "version": version, "params": params}
    if cm > 0:
        line["cpu_img_per_s"] = batch / cm
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
