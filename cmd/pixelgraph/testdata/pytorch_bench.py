"""PyTorch twin of pixelgraph's training step, timed for `pixelgraph bench`.

Builds the same PixelCNN as graph.PixelCNN (mask A kxk conv to 2h filters;
residual blocks x + c(relu(b(relu(a(relu(x)))))) with a: 1x1 2h->h,
b: masked B kxk h->h, c: 1x1 h->2h; head relu -> 1x1 -> relu -> 1x1 -> 1x1
to q), per-pixel cross-entropy, global grad-norm clip 1.0 and Adam (lr 1e-3),
as train.Trainer.Step does, and times forward + backward + clip + Adam step
on a fixed batch of random levels, with torch.set_num_threads(THREADS).

usage: python3 pytorch_bench.py CONFIG BATCH THREADS BUDGET_SECONDS [--serve]

CONFIG is graph.Config as JSON ({"levels":4,"channels":1,"height":28,
"width":28,"filters":128,"hidden":64,"blocks":15,"head":128,
"first_kernel":7,"block_kernel":3,...}).

Alone, it warms up, repeats the step until BUDGET seconds (at least 3
times) and prints one JSON line:

  {"bench":"train","engine":"pytorch","img_per_s":...,"cpu_img_per_s":...,
   "reps":...,"peak_rss_mb":...,"version":...}

With --serve (how `pixelgraph bench` runs it, so that its steps alternate
with gorgonia's under the same machine load) it warms up, prints
{"ready":true,"version":...}, then for each line "step" on stdin runs one
step and prints {"wall":s,"cpu":s}; on "done" or EOF it prints
{"peak_rss_mb":...} and exits.

peak_rss_mb is this process's VmHWM (/proc/self/status); ru_maxrss is not
used because after a vfork-style exec it includes the parent's peak.
"""
import json
import resource
import sys
import time


def main():
    try:
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - report any import failure
        print(json.dumps({"bench": "train", "engine": "pytorch",
                          "error": "import torch: %s" % e}))
        return 0
    cfg = json.loads(sys.argv[1])
    batch, threads, budget = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    serve = "--serve" in sys.argv[5:]
    min_reps = 3
    torch.set_num_threads(threads)
    torch.manual_seed(1)

    def mask(kind, k):
        m = torch.zeros(k, k)
        c = k // 2
        for r in range(k):
            for col in range(k):
                if r < c or (r == c and col < c) or (r == c and col == c and kind == "B"):
                    m[r, col] = 1
        return m

    class MaskedConv2d(nn.Conv2d):
        def __init__(self, kind, cin, cout, k):
            super().__init__(cin, cout, k, padding=k // 2)
            self.register_buffer("mask", mask(kind, k).expand_as(self.weight).clone())

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

    model = PixelCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    hh, ww = cfg["height"], cfg["width"]
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
        print(json.dumps({"ready": True, "version": version}), flush=True)
        for cmd in sys.stdin:
            if cmd.strip() != "step":
                break
            w, c = timed_step()
            print(json.dumps({"wall": w, "cpu": c}), flush=True)
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
            "peak_rss_mb": peak_rss_mb(), "version": version}
    if cm > 0:
        line["cpu_img_per_s"] = batch / cm
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
