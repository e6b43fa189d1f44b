#!/usr/bin/python3
"""Regenerate the torch.onnx fixtures of pixelgraph's decoder and runtime tests.

Run from the repository root:  /usr/bin/python3 testdata/torch/make_fixtures.py

It defines a small PixelCNN in PyTorch with the structure of graph.PixelCNN
(masked convolutions keep their mask in a registered buffer multiplied into
the weight in forward), gives it deterministic non-trivial weights, and
exports it with torch.onnx at several opsets and batch modes. Each fixture is
a folder in the ONNX backend test layout:

    <name>/model.onnx
    <name>/test_data_set_0/input_0.pb    TensorProto "pixels"
    <name>/test_data_set_0/output_0.pb   TensorProto "logits" (PyTorch's output)

and manifest.txt is the text twin of all of them (graph ops, initializers,
inputs and outputs), so a regeneration shows up as a readable diff.

One more fixture, mnist28_q4, is the same architecture at MNIST size (28x28,
q = 4, 16 filters), trained briefly in PyTorch on the repository's MNIST
slice; beside its model it holds pytorch_nll.json, the NLL PyTorch computes
for it on the first 100 test images (for `pixelgraph eval`).
"""
import collections
import gzip
import io
import json
import math
import os
import shutil
import struct
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
MNIST = os.path.join(HERE, "..", "mnist")

Config = collections.namedtuple("Config", "levels channels height width filters hidden blocks head")

# The opset* fixtures: q = 4 levels, a 1x8x8 image, 2h = 8 filters, h = 4,
# 2 residual blocks, a head of width 8.
SMALL8 = Config(levels=4, channels=1, height=8, width=8, filters=8, hidden=4, blocks=2, head=8)
# mnist28_q4: MNIST size, q = 4, 2h = 16 filters, h = 8, 2 blocks, head 16.
MNIST28 = Config(levels=4, channels=1, height=28, width=28, filters=16, hidden=8, blocks=2, head=16)
# Both: a 7x7 mask-A input conv and 3x3 mask-B block convs.
FIRST_KERNEL, BLOCK_KERNEL = 7, 3


def mask(kind, k):
    """The mask grid of graph.Mask: taps before the centre in raster order
    are live; mask B also keeps the centre."""
    m = torch.zeros(k, k)
    c = k // 2
    for r in range(k):
        for col in range(k):
            before = r < c or (r == c and col < c)
            centre = r == c and col == c
            if before or (centre and kind == "B"):
                m[r, col] = 1
    return m


class MaskedConv2d(nn.Conv2d):
    """A Conv2d whose weight is multiplied by a registered mask buffer in
    forward (so the mask is part of the traced graph)."""

    def __init__(self, kind, cin, cout, k):
        super().__init__(cin, cout, k, padding=k // 2)
        self.register_buffer("mask", mask(kind, k).expand(cout, cin, k, k).clone())

    def forward(self, x):
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.a = nn.Conv2d(cfg.filters, cfg.hidden, 1)
        self.b = MaskedConv2d("B", cfg.hidden, cfg.hidden, BLOCK_KERNEL)
        self.c = nn.Conv2d(cfg.hidden, cfg.filters, 1)

    def forward(self, x):
        y = self.a(F.relu(x))
        y = self.b(F.relu(y))
        y = self.c(F.relu(y))
        return x + y


class PixelCNN(nn.Module):
    """graph.PixelCNN's structure: in (mask A), residual blocks, head."""

    def __init__(self, cfg=SMALL8, softmax=False):
        super().__init__()
        self.inp = MaskedConv2d("A", cfg.channels, cfg.filters, FIRST_KERNEL)
        self.res = nn.Sequential(*[Block(cfg) for _ in range(cfg.blocks)])
        self.out1 = nn.Conv2d(cfg.filters, cfg.head, 1)
        self.out2 = nn.Conv2d(cfg.head, cfg.head, 1)
        self.logits = nn.Conv2d(cfg.head, cfg.levels * cfg.channels, 1)
        self.softmax = softmax

    def forward(self, x):
        h = self.res(self.inp(x))
        y = self.out1(F.relu(h))
        y = self.out2(F.relu(y))
        y = self.logits(y)
        if self.softmax:
            y = F.softmax(y, dim=1)  # over the q levels of each pixel
        return y


def make_model(softmax=False):
    torch.manual_seed(20261125)
    m = PixelCNN(SMALL8, softmax)
    with torch.no_grad():
        for name, p in m.named_parameters():
            # Distinct, asymmetric values: default init plus a per-tensor
            # offset, so layout bugs cannot cancel out; biases non-zero.
            p.add_(torch.rand_like(p) * 0.1 - 0.03)
    m.eval()
    return m


def pixels(batch, seed, cfg=SMALL8):
    g = torch.Generator().manual_seed(seed)
    lv = torch.randint(0, cfg.levels, (batch, cfg.channels, cfg.height, cfg.width), generator=g)
    return lv.float() / (cfg.levels - 1)  # level/(q-1) in [0,1], as pixelgraph feeds


# name: (opset, dynamic batch, softmax, external data, constant folding)
FIXTURES = {
    "opset11_static": (11, False, False, False, True),
    "opset11_dynamic": (11, True, False, False, True),
    "opset13_static": (13, False, False, False, True),
    "opset13_dynamic": (13, True, False, False, True),
    "opset17_static": (17, False, False, False, True),
    "opset17_dynamic": (17, True, False, False, True),
    "opset11_softmax": (11, True, True, False, True),
    "opset13_softmax": (13, True, True, False, True),
    "opset17_softmax": (17, True, True, False, True),
    "opset13_external": (13, True, False, True, True),
    "opset13_unfolded": (13, True, False, False, False),
}


def export(name, opset, dynamic, softmax, external, fold):
    model = make_model(softmax)
    dummy = pixels(2, 1)
    buf = io.BytesIO()
    kw = {}
    if dynamic:
        kw["dynamic_axes"] = {"pixels": {0: "batch"}, "logits": {0: "batch"}}
    torch.onnx.export(model, dummy, buf, opset_version=opset, input_names=["pixels"],
                      output_names=["logits"], do_constant_folding=fold, **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    path = os.path.join(d, "model.onnx")
    if external:
        onnx.save_model(proto, path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location="weights.bin", size_threshold=0)
    else:
        onnx.save_model(proto, path)
    # Static models take the export batch (2); dynamic ones a different
    # batch (3), so a runtime that ignores the symbolic dim fails.
    x = dummy if not dynamic else pixels(3, 2)
    with torch.no_grad():
        y = model(x)
    for kind, arr, tname in (("input_0", x, "pixels"), ("output_0", y, "logits")):
        t = onnx.numpy_helper.from_array(arr.numpy().astype(np.float32), tname)
        with open(os.path.join(d, "test_data_set_0", kind + ".pb"), "wb") as f:
            f.write(t.SerializeToString())
    return proto


def describe(name, proto):
    g = proto.graph
    lines = ["== %s: ir_version %d, opset %s, producer %s %s" % (
        name, proto.ir_version, ",".join("%s:%d" % (o.domain or "ai.onnx", o.version) for o in proto.opset_import),
        proto.producer_name, proto.producer_version)]
    for v in list(g.input) + list(g.output):
        dims = [d.dim_param or str(d.dim_value) for d in v.type.tensor_type.shape.dim]
        lines.append("  %s %s [%s]" % ("input " if v in g.input else "output", v.name, ",".join(dims)))
    for t in g.initializer:
        where = "external" if t.data_location == onnx.TensorProto.EXTERNAL else "inline"
        lines.append("  init %s %s %s" % (t.name, list(t.dims), where))
    for n in g.node:
        attrs = ", ".join("%s=%s" % (a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute
                          if a.type != onnx.AttributeProto.TENSOR)
        lines.append("  node %s %s(%s) -> %s %s" % (n.name, n.op_type, ", ".join(n.input), ", ".join(n.output), attrs))
    return "\n".join(lines)


# mnist28_q4: MNIST28 from PyTorch's default init under this seed, trained
# with Adam for MNIST_STEPS steps of MNIST_BATCH images (cross-entropy over the
# q levels, mean over pixels) on the 256 training images of testdata/mnist,
# reshuffled each epoch by a generator with the same seed.
MNIST_SEED, MNIST_STEPS, MNIST_BATCH, MNIST_LR = 20261125, 50, 16, 3e-3
NLL_IMAGES = 100  # pytorch_nll.json: the first 100 test images
DATA_IMAGES = 2   # test_data_set_0: the first 2 test images


def mnist_levels(name, q, n=None):
    """Images of an IDX3 file (gzip) in testdata/mnist as levels
    floor(pixel*q/256), int64 (N, 1, H, W)."""
    with gzip.open(os.path.join(MNIST, name), "rb") as f:
        b = f.read()
    magic, count, h, w = struct.unpack(">IIII", b[:16])
    assert magic == 2051, "%s: not an IDX3 image file" % name
    pix = np.frombuffer(b, dtype=np.uint8, offset=16).reshape(count, 1, h, w)[:n]
    return torch.from_numpy(pix.astype(np.int64) * q // 256)


def scale(levels, q):
    return levels.float() / (q - 1)  # level/(q-1) in float32, as dataset.Scale


def nll_nats(model, levels, q):
    """Summed NLL in nats: float32 forward, float64 log_softmax over the q
    levels of each pixel."""
    with torch.no_grad():
        logits = model(scale(levels, q))
        logp = F.log_softmax(logits.double(), dim=1)
        return -logp.gather(1, levels).sum().item()


def mnist_fixture(name="mnist28_q4"):
    cfg = MNIST28
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # one thread: the same float sums on every run
    try:
        torch.manual_seed(MNIST_SEED)
        model = PixelCNN(cfg)
        train = mnist_levels("train-images-idx3-ubyte.gz", cfg.levels)
        test = mnist_levels("t10k-images-idx3-ubyte.gz", cfg.levels, NLL_IMAGES)
        pixels_per_image = cfg.channels * cfg.height * cfg.width
        before = nll_nats(model, test, cfg.levels)
        opt = torch.optim.Adam(model.parameters(), lr=MNIST_LR)
        g = torch.Generator().manual_seed(MNIST_SEED)
        order, pos = torch.randperm(len(train), generator=g), 0
        model.train()
        for step in range(MNIST_STEPS):
            if pos + MNIST_BATCH > len(order):
                order, pos = torch.randperm(len(train), generator=g), 0
            lv = train[order[pos:pos + MNIST_BATCH]]
            pos += MNIST_BATCH
            loss = F.cross_entropy(model(scale(lv, cfg.levels)), lv[:, 0])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        nats = nll_nats(model, test, cfg.levels)
        bpd = lambda total: total / NLL_IMAGES / pixels_per_image / math.log(2)
        print("%-18s test NLL %.4f bits/dim after %d Adam steps (%.4f untrained; uniform %.4f)" % (
            name, bpd(nats), MNIST_STEPS, bpd(before), math.log2(cfg.levels)), file=sys.stderr)

        buf = io.BytesIO()
        torch.onnx.export(model, scale(test[:DATA_IMAGES], cfg.levels), buf, opset_version=13,
                          input_names=["pixels"], output_names=["logits"],
                          dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})
        proto = onnx.load_from_string(buf.getvalue())
        onnx.checker.check_model(proto)
        d = os.path.join(HERE, name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(os.path.join(d, "test_data_set_0"))
        onnx.save_model(proto, os.path.join(d, "model.onnx"))
        x = scale(test[:DATA_IMAGES], cfg.levels)
        with torch.no_grad():
            y = model(x)
        for kind, arr, tname in (("input_0", x, "pixels"), ("output_0", y, "logits")):
            t = onnx.numpy_helper.from_array(arr.numpy().astype(np.float32), tname)
            with open(os.path.join(d, "test_data_set_0", kind + ".pb"), "wb") as f:
                f.write(t.SerializeToString())
        with open(os.path.join(d, "pytorch_nll.json"), "w") as f:
            json.dump({"nats_per_image": nats / NLL_IMAGES, "bits_per_dim": bpd(nats), "images": NLL_IMAGES}, f)
            f.write("\n")
        return proto
    finally:
        torch.set_num_threads(threads)


def main():
    out = ["# Generated by make_fixtures.py with torch %s, onnx %s, numpy %s. Do not edit." % (
        torch.__version__, onnx.__version__, np.__version__)]
    for name, spec in FIXTURES.items():
        proto = export(name, *spec)
        out.append(describe(name, proto))
        muls = sum(n.op_type == "Mul" for n in proto.graph.node)
        print("%-18s %d nodes, %d Mul" % (name, len(proto.graph.node), muls), file=sys.stderr)
    out.append(describe("mnist28_q4", mnist_fixture()))
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
