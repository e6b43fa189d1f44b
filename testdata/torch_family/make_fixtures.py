#!/usr/bin/python3
"""Regenerate the foreign PixelCNN-family fixtures (issue 12): a
class-conditional Gated PixelCNN in the pytorch-generative style and a small
PixelCNN++ in the openai/pixel-cnn layout, exported by torch.onnx.

Run from the repository root:  /usr/bin/python3 testdata/torch_family/make_fixtures.py

Each fixture is a folder in the ONNX backend test layout:

    <name>/model.onnx
    <name>/test_data_set_0/input_<k>.pb   TensorProto inputs ("pixels"; "label")
    <name>/test_data_set_0/output_0.pb    TensorProto output (PyTorch's, eval mode)

and manifest.txt is the text twin of all of them (inputs, outputs,
initializers, nodes), so a regeneration shows up as a readable diff. The
models are written here from the papers and the public layouts (no code is
copied); weights are PyTorch's default init under a fixed seed plus a
per-element offset, so they are distinct and asymmetric.
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
SEED = 20261202

# ---------------------------------------------------------------------------
# Gated PixelCNN, pytorch-generative style: the vertical stack's k×k masked
# conv is a 1×k conv then a (k//2+1)×1 conv padded by one row more and
# cropped to the image's height (a shift down), the horizontal stack's 1×k
# masked conv a 1×(k//2+1) conv cropped to the width (a shift right); the
# gates split 2c channels with chunk; a 1×1 link from the vertical to the
# horizontal stack; residual and skip 1×1s; class conditioning by
# nn.Embedding added inside both gates.
Q, H, W = 4, 8, 8            # levels, image size
GATED_C, GATED_LAYERS = 4, 3  # channels c per stack, gated layers (after the input layer)
CLASSES, HEAD = 10, 8


def gate(x):
    a, b = x.chunk(2, dim=1)
    return torch.tanh(a) * torch.sigmoid(b)


class GatedLayer(nn.Module):
    def __init__(self, cin, c, k, first, leak=False):
        super().__init__()
        p = (k - 1) // 2
        self.first, self.leak = first, leak
        self.vstack_1xN = nn.Conv2d(cin, c, (1, k), padding=(0, p))
        self.vstack_Nx1 = nn.Conv2d(c, 2 * c, (k // 2 + 1, 1), padding=(p + 1, 0))
        self.vstack_1x1 = nn.Conv2d(cin, 2 * c, 1)
        self.link = nn.Conv2d(2 * c, 2 * c, 1)
        self.hstack_1xN = nn.Conv2d(cin, 2 * c, (1, k // 2 + 1), padding=(0, p + int(first)))
        self.hstack_residual = nn.Conv2d(c, c, 1)
        self.hstack_skip = nn.Conv2d(c, c, 1)
        self.v_emb = nn.Embedding(CLASSES, 2 * c)
        self.h_emb = nn.Embedding(CLASSES, 2 * c)

    def forward(self, v_in, h_in, label):
        _, _, h, w = v_in.shape
        v = self.vstack_Nx1(self.vstack_1xN(v_in))
        # the shift down: rows [0, h) of the taller output; the leaky variant
        # takes rows [1, h+1), so a row of the vertical stack sees itself
        v = v[:, :, 1:h + 1, :] if self.leak else v[:, :, :h, :]
        link = self.link(v)
        v = v + self.vstack_1x1(v_in) + self.v_emb(label)[:, :, None, None]
        v = gate(v)
        hs = link + self.hstack_1xN(h_in)[:, :, :, :w] + self.h_emb(label)[:, :, None, None]
        hs = gate(hs)
        skip = self.hstack_skip(hs)
        hs = self.hstack_residual(hs)
        if not self.first:
            hs = hs + h_in
        return v, hs, skip


class GatedPixelCNN(nn.Module):
    def __init__(self, softmax=False, leak=False):
        super().__init__()
        self.inp = GatedLayer(1, GATED_C, 7, True, leak)
        self.layers = nn.ModuleList([GatedLayer(GATED_C, GATED_C, 3, False) for _ in range(GATED_LAYERS)])
        self.head1 = nn.Conv2d(GATED_C, HEAD, 1)
        self.head2 = nn.Conv2d(HEAD, Q, 1)
        self.softmax = softmax

    def forward(self, pixels, label):
        v, h, skip = self.inp(pixels, pixels, label)
        for layer in self.layers:
            v, h, s = layer(v, h, label)
            skip = skip + s
        y = self.head2(F.relu(self.head1(F.relu(skip))))
        return F.softmax(y, dim=1) if self.softmax else y


# ---------------------------------------------------------------------------
# PixelCNN++ (Salimans et al. 2017) in the openai/pixel-cnn layout, small:
# three channels, a ones channel appended to the input, down-shifted and
# down-right-shifted convs (zero padding on top/left, then the output
# shifted by one row or column), concat_elu, gated resnets with 1×1 ("nin")
# links, one stride-2 downsampling and its transposed-conv upsampling with
# crops, and a 1×1 to the discretized logistic mixture's parameters
# (10 per component for RGB: weight, 3 means, 3 log-scales, 3 coefficients).
PP_C, PP_F, PP_MIX, PP_RES = 3, 4, 2, 1


def concat_elu(x):
    return F.elu(torch.cat([x, -x], dim=1))


def down_shift(x):
    return F.pad(x[:, :, :x.shape[2] - 1, :], (0, 0, 1, 0))


def right_shift(x):
    return F.pad(x[:, :, :, :x.shape[3] - 1], (1, 0, 0, 0))


class Nin(nn.Module):
    """A 1×1 conv as a linear map over channels (pixel-cnn's nin)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.lin = nn.Linear(cin, cout)

    def forward(self, x):
        return self.lin(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)


class DownShiftedConv(nn.Module):
    def __init__(self, cin, cout, fs=(2, 3), stride=(1, 1), shift_down=False):
        super().__init__()
        self.fs, self.shift_down = fs, shift_down
        self.conv = nn.Conv2d(cin, cout, fs, stride)

    def forward(self, x):
        x = self.conv(F.pad(x, ((self.fs[1] - 1) // 2, (self.fs[1] - 1) // 2, self.fs[0] - 1, 0)))
        return down_shift(x) if self.shift_down else x


class DownRightShiftedConv(nn.Module):
    def __init__(self, cin, cout, fs=(2, 2), stride=(1, 1), shift_right=False):
        super().__init__()
        self.fs, self.shift_right = fs, shift_right
        self.conv = nn.Conv2d(cin, cout, fs, stride)

    def forward(self, x):
        x = self.conv(F.pad(x, (self.fs[1] - 1, 0, self.fs[0] - 1, 0)))
        return right_shift(x) if self.shift_right else x


class DownShiftedDeconv(nn.Module):
    def __init__(self, cin, cout, fs=(2, 3), stride=(2, 2)):
        super().__init__()
        self.fs = fs
        self.deconv = nn.ConvTranspose2d(cin, cout, fs, stride, output_padding=1)

    def forward(self, x):
        x = self.deconv(x)
        h, w = x.shape[2], x.shape[3]
        return x[:, :, :h - self.fs[0] + 1, (self.fs[1] - 1) // 2:w - (self.fs[1] - 1) // 2]


class DownRightShiftedDeconv(nn.Module):
    def __init__(self, cin, cout, fs=(2, 2), stride=(2, 2)):
        super().__init__()
        self.fs = fs
        self.deconv = nn.ConvTranspose2d(cin, cout, fs, stride, output_padding=1)

    def forward(self, x):
        x = self.deconv(x)
        h, w = x.shape[2], x.shape[3]
        return x[:, :, :h - self.fs[0] + 1, :w - self.fs[1] + 1]


class GatedResnet(nn.Module):
    def __init__(self, f, conv, skip=0):
        super().__init__()
        self.conv_input = conv(2 * f, f)
        self.nin_skip = Nin(2 * skip * f, f) if skip else None
        self.conv_out = conv(2 * f, 2 * f)

    def forward(self, og, a=None):
        x = self.conv_input(concat_elu(og))
        if a is not None:
            x = x + self.nin_skip(concat_elu(a))
        x = self.conv_out(concat_elu(x))
        a, b = torch.chunk(x, 2, dim=1)
        return og + a * torch.sigmoid(b)


class PixelCNNpp(nn.Module):
    def __init__(self, leak=False):
        super().__init__()
        f = PP_F
        self.u_init = DownShiftedConv(PP_C + 1, f, (2, 3), shift_down=True)
        self.ul_init = nn.ModuleList([DownShiftedConv(PP_C + 1, f, (1, 3), shift_down=True),
                                      DownRightShiftedConv(PP_C + 1, f, (2, 1), shift_right=not leak)])
        self.up_u = nn.ModuleList([GatedResnet(f, DownShiftedConv) for _ in range(2 * PP_RES)])
        self.up_ul = nn.ModuleList([GatedResnet(f, DownRightShiftedConv, 1) for _ in range(2 * PP_RES)])
        self.down_u_size = DownShiftedConv(f, f, stride=(2, 2))
        self.down_ul_size = DownRightShiftedConv(f, f, stride=(2, 2))
        self.up_u_size = DownShiftedDeconv(f, f)
        self.up_ul_size = DownRightShiftedDeconv(f, f)
        n_down = [PP_RES, PP_RES + 1]
        self.down_u = nn.ModuleList([nn.ModuleList([GatedResnet(f, DownShiftedConv, 1) for _ in range(k)]) for k in n_down])
        self.down_ul = nn.ModuleList([nn.ModuleList([GatedResnet(f, DownRightShiftedConv, 2) for _ in range(k)]) for k in n_down])
        self.nin_out = Nin(f, 10 * PP_MIX)

    def forward(self, pixels):
        ones = torch.ones_like(pixels[:, :1])
        x = torch.cat([pixels, ones], dim=1)
        us, uls = [self.u_init(x)], [self.ul_init[0](x) + self.ul_init[1](x)]
        for level in range(2):
            for i in range(PP_RES):
                k = level * PP_RES + i
                u = self.up_u[k](us[-1])
                ul = self.up_ul[k](uls[-1], a=u)
                us.append(u)
                uls.append(ul)
            if level == 0:
                us.append(self.down_u_size(us[-1]))
                uls.append(self.down_ul_size(uls[-1]))
        u, ul = us.pop(), uls.pop()
        for level in range(2):
            for i in range(len(self.down_u[level])):
                u = self.down_u[level][i](u, a=us.pop())
                ul = self.down_ul[level][i](ul, a=torch.cat([u, uls.pop()], dim=1))
            if level == 0:
                u, ul = self.up_u_size(u), self.up_ul_size(ul)
        return self.nin_out(F.elu(ul))


# ---------------------------------------------------------------------------

def init(m):
    with torch.no_grad():
        for _, p in m.named_parameters():
            p.add_(torch.rand_like(p) * 0.1 - 0.03)
    m.eval()
    return m


def gated_inputs(batch, seed):
    g = torch.Generator().manual_seed(seed)
    lv = torch.randint(0, Q, (batch, 1, H, W), generator=g)
    label = torch.randint(0, CLASSES, (batch,), generator=g)
    return lv.float() / (Q - 1), label


def pp_inputs(batch, seed):
    g = torch.Generator().manual_seed(seed)
    lv = torch.randint(0, 256, (batch, PP_C, H, W), generator=g)
    return (lv.float() / 127.5 - 1,)  # pixel-cnn's scaling to [-1, 1]


# name: (model maker, input names, output name, opset, input maker)
FIXTURES = {
    "gated_opset13": (lambda: GatedPixelCNN(), ["pixels", "label"], "logits", 13, gated_inputs),
    "gated_opset17": (lambda: GatedPixelCNN(softmax=True), ["pixels", "label"], "probs", 17, gated_inputs),
    "gated_leaky": (lambda: GatedPixelCNN(leak=True), ["pixels", "label"], "logits", 13, gated_inputs),
    "pixelcnnpp_opset13": (lambda: PixelCNNpp(), ["pixels"], "mixture", 13, pp_inputs),
    "pixelcnnpp_opset17": (lambda: PixelCNNpp(), ["pixels"], "mixture", 17, pp_inputs),
    "pixelcnnpp_leaky": (lambda: PixelCNNpp(leak=True), ["pixels"], "mixture", 13, pp_inputs),
}


def export(name, make, in_names, out_name, opset, inputs):
    torch.manual_seed(SEED)
    model = init(make())
    dummy = inputs(2, 1)
    if len(dummy) == 1 and isinstance(dummy, tuple):
        args = dummy
    else:
        args = tuple(dummy)
    buf = io.BytesIO()
    axes = {n: {0: "batch"} for n in in_names + [out_name]}
    torch.onnx.export(model, args, buf, opset_version=opset, input_names=in_names, output_names=[out_name],
                      dynamic_axes=axes)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto, full_check=True)
    d = os.path.join(HERE, name)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))
    onnx.save_model(proto, os.path.join(d, "model.onnx"))
    # A batch of 3, not the export batch: a runtime ignoring the symbolic
    # dim fails.
    x = inputs(3, 2)
    with torch.no_grad():
        y = model(*x)
    for k, (arr, tname) in enumerate(zip(x, in_names)):
        a = arr.numpy()
        a = a.astype(np.int64) if a.dtype.kind == "i" else a.astype(np.float32)
        with open(os.path.join(d, "test_data_set_0", "input_%d.pb" % k), "wb") as f:
            f.write(onnx.numpy_helper.from_array(a, tname).SerializeToString())
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "wb") as f:
        f.write(onnx.numpy_helper.from_array(y.numpy().astype(np.float32), out_name).SerializeToString())
    return proto


def describe(name, proto, nodes=True):
    """The text twin of a model: header, inputs and outputs, initializers,
    op counts, and (nodes) every node."""
    g = proto.graph
    lines = ["== %s: ir_version %d, opset %s, producer %s %s" % (
        name, proto.ir_version, ",".join("%s:%d" % (o.domain or "ai.onnx", o.version) for o in proto.opset_import),
        proto.producer_name, proto.producer_version)]
    for v in list(g.input) + list(g.output):
        dims = [d.dim_param or str(d.dim_value) for d in v.type.tensor_type.shape.dim]
        lines.append("  %s %s [%s]" % ("input " if v in g.input else "output", v.name, ",".join(dims)))
    for t in g.initializer:
        lines.append("  init %s %s" % (t.name, list(t.dims)))
    ops = {}
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    lines.append("  ops %s" % " ".join("%s %d" % kv for kv in sorted(ops.items())))
    for n in g.node if nodes else []:
        attrs = ", ".join("%s=%s" % (a.name, onnx.helper.get_attribute_value(a)) for a in n.attribute
                          if a.type != onnx.AttributeProto.TENSOR)
        lines.append("  node %s %s(%s) -> %s %s" % (n.name, n.op_type, ", ".join(n.input), ", ".join(n.output), attrs))
    return "\n".join(lines)


def main():
    torch.set_num_threads(1)  # the same float sums on every run
    out = ["# Generated by make_fixtures.py with torch %s, onnx %s, numpy %s. Do not edit." % (
        torch.__version__, onnx.__version__, np.__version__)]
    for name, spec in FIXTURES.items():
        proto = export(name, *spec)
        # every node of the gated model, whose layers the plan must run; the
        # others' op counts and initializers (PixelCNN++ has 856 nodes)
        out.append(describe(name, proto, nodes=name == "gated_opset13"))
        ops = {}
        for n in proto.graph.node:
            ops[n.op_type] = ops.get(n.op_type, 0) + 1
        print("%-20s %d nodes: %s" % (name, len(proto.graph.node), " ".join("%s %d" % kv for kv in sorted(ops.items()))),
              file=sys.stderr)
    with open(os.path.join(HERE, "manifest.txt"), "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
