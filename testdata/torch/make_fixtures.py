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
"""
import io
import os
import shutil
import sys

import numpy as np
import onnx
import onnx.numpy_helper
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))

# Sizes: q = 4 levels, a 1x8x8 image, 2h = 8 filters, h = 4, 2 residual blocks,
# a head of width 8, a 7x7 mask-A input conv and 3x3 mask-B block convs.
LEVELS, CHANNELS, HEIGHT, WIDTH = 4, 1, 8, 8
FILTERS, HIDDEN, BLOCKS, HEAD = 8, 4, 2, 8
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
    def __init__(self):
        super().__init__()
        self.a = nn.Conv2d(FILTERS, HIDDEN, 1)
        self.b = MaskedConv2d("B", HIDDEN, HIDDEN, BLOCK_KERNEL)
        self.c = nn.Conv2d(HIDDEN, FILTERS, 1)

    def forward(self, x):
        y = self.a(F.relu(x))
        y = self.b(F.relu(y))
        y = self.c(F.relu(y))
        return x + y


class PixelCNN(nn.Module):
    """graph.PixelCNN's structure: in (mask A), residual blocks, head."""

    def __init__(self, softmax=False):
        super().__init__()
        self.inp = MaskedConv2d("A", CHANNELS, FILTERS, FIRST_KERNEL)
        self.res = nn.Sequential(*[Block() for _ in range(BLOCKS)])
        self.out1 = nn.Conv2d(FILTERS, HEAD, 1)
        self.out2 = nn.Conv2d(HEAD, HEAD, 1)
        self.logits = nn.Conv2d(HEAD, LEVELS * CHANNELS, 1)
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
    m = PixelCNN(softmax)
    with torch.no_grad():
        for name, p in m.named_parameters():
            # Distinct, asymmetric values: default init plus a per-tensor
            # offset, so layout bugs cannot cancel out; biases non-zero.
            p.add_(torch.rand_like(p) * 0.1 - 0.03)
    m.eval()
    return m


def pixels(batch, seed):
    g = torch.Generator().manual_seed(seed)
    lv = torch.randint(0, LEVELS, (batch, CHANNELS, HEIGHT, WIDTH), generator=g)
    return lv.float() / (LEVELS - 1)  # level/(q-1) in [0,1], as pixelgraph feeds


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


def main():
    out = ["# Generated by make_fixtures.py with torch %s, onnx %s, numpy %s. Do not edit." % (
        torch.__version__, onnx.__version__, np.__version__)]
    for name, spec in FIXTURES.items():
        proto = export(name, *spec)
        out.append(describe(name, proto))
        muls = sum(n.op_type == "Mul" for n in proto.graph.node)
        print("%-18s %d nodes, %d Mul" % (name, len(proto.graph.node), muls), file=sys.stderr)
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
