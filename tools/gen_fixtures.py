#!/usr/bin/env python3
"""Writes the PyTorch reference values that ember's tests compare against (tests/fixtures/*.txt).

Regenerate (from the repository root) with Debian's PyTorch 1.13:

    /usr/bin/python3 tools/gen_fixtures.py            # writes tests/fixtures/
    /usr/bin/python3 tools/gen_fixtures.py OUTDIR     # writes somewhere else

Inputs are drawn from fixed seeds (or written out explicitly), rounded to float32 so that a
test can run the same case in float32 and float64 from exactly the same numbers; references are
computed in float64, and inputs are stored as float32 (exactly what they are). Each case NAME stores NAME.in0, NAME.in1, ... (inputs), NAME.out (and
NAME.out1 for an op's second output, e.g. the indices of max(dim)), and, for differentiable
ops, NAME.gout (a fixed upstream gradient) and NAME.grad0, NAME.grad1, ... (the gradient of
sum(out * gout) with respect to each floating input).

The file format, one tensor per line, read by tests/helpers.cpp:

    <name> <dtype> <ndim> <size0> ... <sizeN-1> : <values in row-major order>

dtype is float32, float64, int64 or bool; float64 values carry 17 significant digits and
float32 values 9, so both parse back to the exact same number.
"""
import os
import sys

import torch
import torch.nn.functional as F


class FixtureFile:
    """One fixture file, tests/fixtures/<name>.txt; also used by tools/gen_optim_fixtures.py."""

    def __init__(self, name, kind="test", writer="tools/gen_fixtures.py"):
        self.name = name
        self.kind = kind
        self.writer = writer
        self.lines = []
        self.names = set()

    def add(self, name, t):
        assert name not in self.names, name
        self.names.add(name)
        t = t.detach().contiguous()
        kinds = {torch.float32: ("float32", "%.9g"), torch.float64: ("float64", "%.17g"),
                 torch.int64: ("int64", "%d"), torch.bool: ("bool", "%d")}
        dtype, fmt = kinds[t.dtype]
        flat = t.reshape(-1).tolist()
        vals = " ".join(fmt % (int(v) if dtype == "bool" else v) for v in flat)
        dims = " ".join(str(s) for s in t.shape)
        self.lines.append(f"{name} {dtype} {t.dim()} {dims} : {vals}".replace("  ", " "))

    def write(self, outdir):
        path = os.path.join(outdir, self.name + ".txt")
        with open(path, "w") as f:
            f.write(f"# ember {self.kind} fixtures from PyTorch {torch.__version__}: written by "
                    f"{self.writer}, do not edit by hand.\n")
            f.write("\n".join(self.lines) + "\n")
        return path


_gen = torch.Generator().manual_seed(1234)


def rnd(*shape):
    """Standard normal values, rounded to float32, as float64."""
    return torch.randn(tuple(shape), generator=_gen, dtype=torch.float32).double()


def pos(*shape):
    """Positive values in [0.5, 2.5), for log, sqrt, pow and divisors."""
    return (torch.rand(tuple(shape), generator=_gen, dtype=torch.float32) * 2 + 0.5).double()


def away_from_zero(*shape):
    """Values with |v| in [0.5, 2.5) and random sign (safe divisors)."""
    sign = torch.randint(0, 2, shape, generator=_gen).double() * 2 - 1
    return pos(*shape) * sign


def as_stored(x):
    """Inputs are float32 numbers held in float64: store them as float32 (shorter, and exact)."""
    if x.dtype == torch.float64 and torch.equal(x.float().double(), x):
        return x.float()
    return x


def case(ff, name, fn, inputs, grad=True):
    """Runs fn on float64 copies of inputs; stores inputs, outputs and gradients."""
    ins = []
    for x in inputs:
        x = x.clone()
        if grad and x.is_floating_point():
            x.requires_grad_(True)
        ins.append(x)
    out = fn(*ins)
    second = None
    if isinstance(out, tuple):
        out, second = out
    for i, x in enumerate(inputs):
        ff.add(f"{name}.in{i}", as_stored(x))
    ff.add(f"{name}.out", out)
    if second is not None:
        ff.add(f"{name}.out1", second)
    if grad and out.requires_grad:
        gout = rnd(*out.shape)
        out.backward(gout)
        ff.add(f"{name}.gout", as_stored(gout))
        for i, x in enumerate(ins):
            if x.grad is not None:
                ff.add(f"{name}.grad{i}", x.grad)


def elementwise():
    ff = FixtureFile("elementwise")
    # Binary arithmetic: same shape, broadcasting both ways, and scalars in both orders.
    case(ff, "add", lambda a, b: a + b, [rnd(3, 4), rnd(3, 4)])
    case(ff, "add_bcast", lambda a, b: a + b, [rnd(2, 3, 4), rnd(3, 1)])
    case(ff, "add_bcast2", lambda a, b: a + b, [rnd(4, 1), rnd(1, 5)])
    case(ff, "add_alpha", lambda a, b: torch.add(a, b, alpha=2.5), [rnd(3, 4), rnd(4)])
    case(ff, "add_scalar", lambda a: a + 2.5, [rnd(3, 4)])
    case(ff, "radd_scalar", lambda a: 2.5 + a, [rnd(3, 4)])
    case(ff, "sub", lambda a, b: a - b, [rnd(3, 4), rnd(3, 4)])
    case(ff, "sub_bcast", lambda a, b: a - b, [rnd(3, 1), rnd(2, 3, 4)])
    case(ff, "sub_alpha", lambda a, b: torch.sub(a, b, alpha=0.5), [rnd(3, 4), rnd(3, 4)])
    case(ff, "sub_scalar", lambda a: a - 2.5, [rnd(3, 4)])
    case(ff, "rsub_scalar", lambda a: 2.5 - a, [rnd(3, 4)])
    case(ff, "mul", lambda a, b: a * b, [rnd(3, 4), rnd(3, 4)])
    case(ff, "mul_bcast", lambda a, b: a * b, [rnd(2, 1, 4), rnd(3, 1)])
    case(ff, "mul_scalar", lambda a: a * 2.5, [rnd(3, 4)])
    case(ff, "rmul_scalar", lambda a: 2.5 * a, [rnd(3, 4)])
    case(ff, "div", lambda a, b: a / b, [rnd(3, 4), away_from_zero(3, 4)])
    case(ff, "div_bcast", lambda a, b: a / b, [rnd(2, 3, 4), away_from_zero(4)])
    case(ff, "div_scalar", lambda a: a / 2.5, [rnd(3, 4)])
    case(ff, "rdiv_scalar", lambda a: 2.5 / a, [away_from_zero(3, 4)])
    # Unary ops.
    case(ff, "neg", lambda a: -a, [rnd(3, 4)])
    case(ff, "exp", lambda a: a.exp(), [rnd(3, 4)])
    case(ff, "log", lambda a: a.log(), [pos(3, 4)])
    case(ff, "sqrt", lambda a: a.sqrt(), [pos(3, 4)])
    case(ff, "abs", lambda a: a.abs(), [away_from_zero(3, 4)])
    case(ff, "relu", lambda a: a.relu(), [away_from_zero(3, 4)])
    case(ff, "sigmoid", lambda a: a.sigmoid(), [rnd(3, 4)])
    case(ff, "tanh", lambda a: a.tanh(), [rnd(3, 4)])
    case(ff, "pow_scalar", lambda a: a.pow(2.5), [pos(3, 4)])
    case(ff, "pow_int", lambda a: a.pow(3), [rnd(3, 4)])
    case(ff, "pow_square", lambda a: a.pow(2), [rnd(3, 4)])
    case(ff, "pow_tensor", lambda a, b: a.pow(b), [pos(3, 4), rnd(3, 4)])
    case(ff, "pow_tensor_bcast", lambda a, b: a.pow(b), [pos(2, 3), rnd(3)])
    # Clamp: the inputs keep a distance from the bounds so finite differences stay smooth.
    clamp_in = torch.tensor([[-2.0, -1.2, -0.7, -0.2], [0.1, 0.4, 0.9, 1.6], [2.2, -0.4, 0.3, 3.0]],
                            dtype=torch.float64)
    case(ff, "clamp", lambda a: a.clamp(-0.5, 1.0), [clamp_in])
    case(ff, "clamp_min_only", lambda a: a.clamp(min=-0.5), [clamp_in])
    case(ff, "clamp_max_only", lambda a: a.clamp(max=1.0), [clamp_in])
    case(ff, "clamp_min", lambda a: a.clamp_min(0.25), [clamp_in])
    case(ff, "clamp_max", lambda a: a.clamp_max(0.25), [clamp_in])
    # Comparisons (bool results), with ties on purpose.
    ca = torch.tensor([[1.0, 2.0, 3.0], [4.0, 2.0, 0.0]], dtype=torch.float64)
    cb = torch.tensor([[1.0, 3.0, 2.0], [4.0, 1.0, 0.5]], dtype=torch.float64)
    crow = torch.tensor([2.0, 2.0, 1.0], dtype=torch.float64)
    for op in ["eq", "ne", "lt", "le", "gt", "ge"]:
        case(ff, f"{op}", lambda a, b, op=op: getattr(a, op)(b), [ca, cb], grad=False)
        case(ff, f"{op}_bcast", lambda a, b, op=op: getattr(a, op)(b), [ca, crow], grad=False)
        case(ff, f"{op}_scalar", lambda a, op=op: getattr(a, op)(2.0), [ca], grad=False)
    # where: a bool condition choosing between two (broadcast) tensors.
    cond = torch.tensor([[True, False, True, False], [False, False, True, True], [True, True, False, False]])
    case(ff, "where", lambda c, a, b: torch.where(c, a, b), [cond, rnd(3, 4), rnd(3, 4)])
    case(ff, "where_bcast", lambda c, a, b: torch.where(c, a, b), [cond, rnd(3, 1), rnd(4)])
    # Functional activations.
    case(ff, "gelu", lambda a: F.gelu(a), [rnd(3, 4)])
    case(ff, "gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [rnd(3, 4)])
    case(ff, "linear", lambda x, w, b: F.linear(x, w, b), [rnd(4, 3), rnd(5, 3), rnd(5)])
    case(ff, "linear_nobias", lambda x, w: F.linear(x, w), [rnd(2, 4, 3), rnd(5, 3)])
    return ff


def reduce():
    ff = FixtureFile("reduce")
    x = rnd(2, 3, 4)
    case(ff, "sum_all", lambda a: a.sum(), [x])
    case(ff, "sum_dim1", lambda a: a.sum(1), [x])
    case(ff, "sum_dim_neg_keepdim", lambda a: a.sum(-1, keepdim=True), [x])
    case(ff, "sum_dims02", lambda a: a.sum((0, 2)), [x])
    case(ff, "sum_dims02_keepdim", lambda a: a.sum((0, 2), keepdim=True), [x])
    case(ff, "mean_all", lambda a: a.mean(), [x])
    case(ff, "mean_dim0", lambda a: a.mean(0), [x])
    case(ff, "mean_dim_neg_keepdim", lambda a: a.mean(-1, keepdim=True), [x])
    case(ff, "mean_dims12", lambda a: a.mean((1, 2)), [x])
    case(ff, "mean_dims01_keepdim", lambda a: a.mean((0, 1), keepdim=True), [x])
    case(ff, "max_all", lambda a: a.max(), [x])
    case(ff, "min_all", lambda a: a.min(), [x])
    case(ff, "max_dim1", lambda a: tuple(a.max(1)), [x])
    case(ff, "max_dim_neg_keepdim", lambda a: tuple(a.max(-1, keepdim=True)), [x])
    case(ff, "min_dim0", lambda a: tuple(a.min(0)), [x])
    case(ff, "min_dim2_keepdim", lambda a: tuple(a.min(2, keepdim=True)), [x])
    case(ff, "argmax_all", lambda a: a.argmax(), [x], grad=False)
    case(ff, "argmax_dim1", lambda a: a.argmax(1), [x], grad=False)
    case(ff, "argmax_dim_neg_keepdim", lambda a: a.argmax(-1, keepdim=True), [x], grad=False)
    case(ff, "argmin_dim2", lambda a: a.argmin(2), [x], grad=False)
    y = rnd(3, 5)
    case(ff, "log_softmax_dim1", lambda a: F.log_softmax(a, 1), [y])
    case(ff, "log_softmax_dim0", lambda a: F.log_softmax(a, 0), [y])
    case(ff, "log_softmax_3d", lambda a: F.log_softmax(a, -1), [x])
    case(ff, "log_softmax_3d_mid", lambda a: F.log_softmax(a, 1), [x])
    case(ff, "softmax_dim1", lambda a: F.softmax(a, 1), [y])
    case(ff, "softmax_3d", lambda a: F.softmax(a, 1), [x])
    # Large logits: a naive exp overflows; the result must stay finite.
    big = torch.tensor([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -999.0]], dtype=torch.float64)
    case(ff, "log_softmax_large", lambda a: F.log_softmax(a, 1), [big])
    case(ff, "softmax_large", lambda a: F.softmax(a, 1), [big])
    return ff


def linalg():
    ff = FixtureFile("linalg")
    case(ff, "mm", lambda a, b: a.mm(b), [rnd(3, 4), rnd(4, 5)])
    case(ff, "mm_transposed", lambda a, b: a.t().mm(b.t()), [rnd(4, 3), rnd(5, 4)])
    case(ff, "matmul_1d_1d", lambda a, b: a.matmul(b), [rnd(4), rnd(4)])
    case(ff, "matmul_2d_1d", lambda a, b: a.matmul(b), [rnd(3, 4), rnd(4)])
    case(ff, "matmul_1d_2d", lambda a, b: a.matmul(b), [rnd(4), rnd(4, 5)])
    case(ff, "matmul_2d_2d", lambda a, b: a.matmul(b), [rnd(3, 4), rnd(4, 5)])
    case(ff, "matmul_3d_3d", lambda a, b: a.matmul(b), [rnd(2, 3, 4), rnd(2, 4, 5)])
    case(ff, "matmul_3d_2d", lambda a, b: a.matmul(b), [rnd(2, 3, 4), rnd(4, 5)])
    case(ff, "matmul_2d_3d", lambda a, b: a.matmul(b), [rnd(3, 4), rnd(2, 4, 5)])
    case(ff, "matmul_3d_1d", lambda a, b: a.matmul(b), [rnd(2, 3, 4), rnd(4)])
    case(ff, "matmul_bcast_batch", lambda a, b: a.matmul(b), [rnd(2, 1, 3, 4), rnd(3, 4, 2)])
    return ff


def conv_pool():
    ff = FixtureFile("conv_pool")
    x = rnd(2, 3, 6, 5)
    case(ff, "conv2d", lambda x, w: F.conv2d(x, w), [x, rnd(4, 3, 3, 3)])
    case(ff, "conv2d_bias", lambda x, w, b: F.conv2d(x, w, b), [x, rnd(4, 3, 3, 3), rnd(4)])
    case(ff, "conv2d_stride2_pad1", lambda x, w, b: F.conv2d(x, w, b, stride=2, padding=1),
         [x, rnd(4, 3, 3, 3), rnd(4)])
    case(ff, "conv2d_stride21_pad12", lambda x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(1, 2)),
         [x, rnd(2, 3, 3, 2), rnd(2)])
    case(ff, "conv2d_dilation2", lambda x, w, b: F.conv2d(x, w, b, padding=1, dilation=2),
         [x, rnd(3, 3, 3, 3), rnd(3)])
    case(ff, "conv2d_1x1", lambda x, w: F.conv2d(x, w), [x, rnd(5, 3, 1, 1)])
    case(ff, "conv2d_groups", lambda x, w, b: F.conv2d(x, w, b, groups=2), [rnd(1, 4, 4, 4), rnd(6, 2, 3, 3), rnd(6)])
    p = rnd(2, 2, 7, 6)
    case(ff, "max_pool2d_k2", lambda a: F.max_pool2d(a, 2), [p])
    case(ff, "max_pool2d_k3_s2_p1", lambda a: F.max_pool2d(a, 3, stride=2, padding=1), [p])
    case(ff, "max_pool2d_k2_s1", lambda a: F.max_pool2d(a, 2, stride=1), [p])
    case(ff, "max_pool2d_ceil", lambda a: F.max_pool2d(a, 2, stride=2, ceil_mode=True), [p])
    case(ff, "max_pool2d_k3_s2_ceil", lambda a: F.max_pool2d(a, 3, stride=2, padding=1, ceil_mode=True), [p])
    case(ff, "max_pool2d_rect", lambda a: F.max_pool2d(a, (3, 2), stride=(2, 1)), [p])
    case(ff, "max_pool2d_dilation", lambda a: F.max_pool2d(a, 2, stride=1, dilation=2), [p])
    # batch_norm: running statistics are passed as constants (they are updated in place in
    # training mode); NAME.rm / NAME.rv hold them before, NAME.rm_after / NAME.rv_after after.
    for name, training in (("batch_norm_train", True), ("batch_norm_eval", False)):
        rm, rv = rnd(3) * 0.1, pos(3)
        ff.add(f"{name}.rm", as_stored(rm))
        ff.add(f"{name}.rv", as_stored(rv))
        rm_run, rv_run = rm.clone(), rv.clone()
        case(ff, name, lambda x, w, b, training=training, rm_run=rm_run, rv_run=rv_run: F.batch_norm(
            x, rm_run, rv_run, w, b, training=training, momentum=0.1, eps=1e-5), [rnd(4, 3, 2, 2), pos(3), rnd(3)])
        ff.add(f"{name}.rm_after", rm_run)
        ff.add(f"{name}.rv_after", rv_run)
    return ff


def loss():
    ff = FixtureFile("loss")
    logits = rnd(5, 4)
    target = torch.tensor([2, 0, 3, 1, 3])
    case(ff, "ce_mean", lambda x, t: F.cross_entropy(x, t), [logits, target])
    case(ff, "ce_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum"), [logits, target])
    case(ff, "ce_none", lambda x, t: F.cross_entropy(x, t, reduction="none"), [logits, target])
    case(ff, "ce_smooth", lambda x, t: F.cross_entropy(x, t, label_smoothing=0.1), [logits, target])
    case(ff, "ce_smooth_sum", lambda x, t: F.cross_entropy(x, t, reduction="sum", label_smoothing=0.2),
         [logits, target])
    case(ff, "ce_smooth_none", lambda x, t: F.cross_entropy(x, t, reduction="none", label_smoothing=0.3),
         [logits, target])
    ignored = torch.tensor([2, -100, 3, 1, -100])
    case(ff, "ce_ignore_default", lambda x, t: F.cross_entropy(x, t), [logits, ignored])
    case(ff, "ce_ignore_none", lambda x, t: F.cross_entropy(x, t, reduction="none"), [logits, ignored])
    ig1 = torch.tensor([2, 1, 3, 1, 0])
    case(ff, "ce_ignore_index1", lambda x, t: F.cross_entropy(x, t, ignore_index=1), [logits, ig1])
    case(ff, "ce_ignore_index1_sum", lambda x, t: F.cross_entropy(x, t, ignore_index=1, reduction="sum"),
         [logits, ig1])
    case(ff, "ce_ignore_smooth", lambda x, t: F.cross_entropy(x, t, ignore_index=1, label_smoothing=0.1),
         [logits, ig1])
    # Spatial targets: input (N, C, d1) with target (N, d1).
    case(ff, "ce_kdim", lambda x, t: F.cross_entropy(x, t), [rnd(2, 3, 4), torch.tensor([[0, 2, 1, 1], [2, 0, 0, 1]])])
    case(ff, "nll_mean", lambda x, t: F.nll_loss(x, t), [F.log_softmax(logits, 1), target])
    case(ff, "nll_sum_ignore", lambda x, t: F.nll_loss(x, t, reduction="sum", ignore_index=1), [logits, ig1])
    big = torch.tensor([[1000.0, -1000.0, 0.0], [50.0, 60.0, 70.0]], dtype=torch.float64)
    case(ff, "ce_large_logits", lambda x, t: F.cross_entropy(x, t), [big, torch.tensor([1, 0])])
    return ff


def index():
    ff = FixtureFile("index")
    x = rnd(4, 3)
    case(ff, "index_select_dim0", lambda a, i: a.index_select(0, i), [x, torch.tensor([2, 0, 2, 3])])
    case(ff, "index_select_dim1", lambda a, i: a.index_select(1, i), [x, torch.tensor([1, 1, 0])])
    case(ff, "index_select_3d", lambda a, i: a.index_select(-1, i), [rnd(2, 3, 4), torch.tensor([3, 0])])
    case(ff, "cat_dim0", lambda a, b, c: torch.cat([a, b, c], 0), [rnd(2, 3), rnd(1, 3), rnd(3, 3)])
    case(ff, "cat_dim1", lambda a, b: torch.cat([a, b], 1), [rnd(2, 3), rnd(2, 2)])
    case(ff, "cat_neg", lambda a, b: torch.cat([a, b], -1), [rnd(2, 2, 1), rnd(2, 2, 3)])
    case(ff, "stack_dim0", lambda a, b, c: torch.stack([a, b, c], 0), [rnd(2, 3), rnd(2, 3), rnd(2, 3)])
    case(ff, "stack_dim1", lambda a, b: torch.stack([a, b], 1), [rnd(2, 3), rnd(2, 3)])
    case(ff, "stack_neg", lambda a, b: torch.stack([a, b], -1), [rnd(2, 3), rnd(2, 3)])
    # Views in the autograd graph.
    y = rnd(2, 3, 4)
    case(ff, "permute", lambda a: a.permute(2, 0, 1) * 1.0, [y])
    case(ff, "transpose_mm", lambda a, b: a.transpose(0, 1).mm(b), [rnd(4, 3), rnd(4, 2)])
    case(ff, "narrow", lambda a: a.narrow(1, 1, 2).exp(), [y])
    case(ff, "select", lambda a: a.select(2, 1).exp(), [y])
    case(ff, "slice_step", lambda a: a[:, :, 1::2].exp(), [y])
    case(ff, "view_reshape", lambda a: a.view(6, 4).exp().reshape(4, 6), [y])
    case(ff, "unsqueeze_squeeze", lambda a: a.unsqueeze(1).exp().squeeze(1), [rnd(3, 4)])
    case(ff, "expand", lambda a: a.expand(2, 3, 4).exp(), [rnd(3, 1)])
    case(ff, "flatten", lambda a: a.flatten(1).exp(), [y])
    return ff


def tensor_random():
    ff = FixtureFile("tensor")
    for n in (5, 40):
        for dt, tag in ((torch.float32, "f32"), (torch.float64, "f64")):
            torch.manual_seed(0)
            ff.add(f"randn_seed0_{tag}_{n}", torch.randn(n, dtype=dt))
            torch.manual_seed(0)
            ff.add(f"rand_seed0_{tag}_{n}", torch.rand(n, dtype=dt))
        torch.manual_seed(0)
        ff.add(f"randint_seed0_0_10_{n}", torch.randint(0, 10, (n,)))
    torch.manual_seed(42)
    ff.add("randn_seed42_f32_3x4", torch.randn(3, 4))
    return ff


def activation():
    """The activations (new cases go at the end of main's list so earlier files keep their values)."""
    ff = FixtureFile("activation")
    x = rnd(3, 4) * 2
    case(ff, "silu", lambda a: F.silu(a), [x])
    case(ff, "mish", lambda a: F.mish(a), [x])
    case(ff, "leaky_relu", lambda a: F.leaky_relu(a), [away_from_zero(3, 4)])
    case(ff, "leaky_relu_02", lambda a: F.leaky_relu(a, 0.2), [away_from_zero(3, 4)])
    case(ff, "elu", lambda a: F.elu(a), [away_from_zero(3, 4)])
    case(ff, "elu_05", lambda a: F.elu(a, alpha=0.5), [away_from_zero(3, 4)])
    case(ff, "selu", lambda a: F.selu(a), [away_from_zero(3, 4)])
    case(ff, "celu", lambda a: F.celu(a), [away_from_zero(3, 4)])
    case(ff, "celu_2", lambda a: F.celu(a, alpha=2.0), [away_from_zero(3, 4)])
    case(ff, "softplus", lambda a: F.softplus(a), [x])
    # beta 2, threshold 1: the inputs with 2x > 1 take the linear branch.
    case(ff, "softplus_beta2_th1", lambda a: F.softplus(a, beta=2, threshold=1), [x])
    # Piecewise ops: inputs keep away from the kinks so finite differences stay smooth.
    kinks = torch.tensor([[-7.0, -3.5, -2.5, -1.5], [-0.7, -0.2, 0.3, 0.8], [1.4, 2.6, 3.4, 6.5]], dtype=torch.float64)
    case(ff, "hardtanh", lambda a: F.hardtanh(a), [kinks])
    case(ff, "hardtanh_m2_05", lambda a: F.hardtanh(a, -2.0, 0.5), [kinks])
    case(ff, "relu6", lambda a: F.relu6(a), [kinks])
    case(ff, "hardswish", lambda a: F.hardswish(a), [kinks])
    case(ff, "hardsigmoid", lambda a: F.hardsigmoid(a), [kinks])
    case(ff, "logsigmoid", lambda a: F.logsigmoid(a), [x])
    case(ff, "gelu", lambda a: F.gelu(a), [x])
    case(ff, "gelu_tanh", lambda a: F.gelu(a, approximate="tanh"), [x])
    # Large |x|: no overflow to inf or NaN in the values or the gradients.
    big = torch.tensor([[-100.0, -30.0, -15.0], [15.0, 30.0, 100.0]], dtype=torch.float64)
    for name, fn in (("silu", F.silu), ("mish", F.mish), ("softplus", F.softplus), ("logsigmoid", F.logsigmoid),
                     ("elu", F.elu), ("gelu", F.gelu), ("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"))):
        case(ff, f"{name}_large", fn, [big])
    case(ff, "softmin", lambda a: F.softmin(a, 1), [rnd(3, 5)])
    case(ff, "softmin_dim0", lambda a: F.softmin(a, 0), [rnd(3, 5)])
    case(ff, "glu", lambda a: F.glu(a), [rnd(3, 4)])
    case(ff, "glu_dim0", lambda a: F.glu(a, 0), [rnd(4, 3)])
    case(ff, "glu_3d", lambda a: F.glu(a, 1), [rnd(2, 6, 3)])
    return ff


def losses():
    """The losses beyond cross_entropy / nll_loss, and those two with class weights. Tensors that
    take no gradient in PyTorch (class weights, BCE targets) are stored as NAME.weight,
    NAME.pos_weight or NAME.target rather than as inputs."""
    ff = FixtureFile("losses")
    red = ("mean", "sum", "none")
    x, y = rnd(3, 4), rnd(3, 4)
    for r in red:
        case(ff, f"mse_{r}", lambda a, b, r=r: F.mse_loss(a, b, reduction=r), [x, y])
        case(ff, f"l1_{r}", lambda a, b, r=r: F.l1_loss(a, b, reduction=r), [x, y])
    case(ff, "mse_bcast", lambda a, b: F.mse_loss(a, b), [x, rnd(4)])
    # Differences on both sides of beta / delta (and none within 1e-5 of them, for gradcheck).
    d = torch.tensor([[-2.5, -1.2, -0.7, -0.3], [0.2, 0.45, 0.8, 1.1], [1.6, -0.05, 3.0, -0.9]], dtype=torch.float64)
    z = rnd(3, 4)
    case(ff, "smooth_l1", lambda a, b: F.smooth_l1_loss(a, b), [z, z + d])
    case(ff, "smooth_l1_beta05_sum", lambda a, b: F.smooth_l1_loss(a, b, reduction="sum", beta=0.5), [z, z + d])
    case(ff, "smooth_l1_beta0", lambda a, b: F.smooth_l1_loss(a, b, beta=0.0), [z, z + d])
    case(ff, "huber", lambda a, b: F.huber_loss(a, b), [z, z + d])
    case(ff, "huber_delta05_none", lambda a, b: F.huber_loss(a, b, reduction="none", delta=0.5), [z, z + d])
    # Binary cross entropy: probabilities in (0.05, 0.95) and soft targets.
    p = (torch.rand(3, 4, generator=_gen, dtype=torch.float32) * 0.9 + 0.05).double()
    t = torch.rand(3, 4, generator=_gen, dtype=torch.float32).double()
    w = pos(4)
    for r in red:
        case(ff, f"bce_{r}", lambda a, r=r: F.binary_cross_entropy(a, t, reduction=r), [p])
        ff.add(f"bce_{r}.target", as_stored(t))
    case(ff, "bce_weight", lambda a: F.binary_cross_entropy(a, t, weight=w), [p])
    ff.add("bce_weight.target", as_stored(t))
    ff.add("bce_weight.weight", as_stored(w))
    logits = rnd(3, 4) * 3
    for r in red:
        case(ff, f"bcel_{r}", lambda a, b, r=r: F.binary_cross_entropy_with_logits(a, b, reduction=r), [logits, t])
    pw = pos(4)
    case(ff, "bcel_weights", lambda a, b: F.binary_cross_entropy_with_logits(a, b, weight=w, pos_weight=pw),
         [logits, t])
    ff.add("bcel_weights.weight", as_stored(w))
    ff.add("bcel_weights.pos_weight", as_stored(pw))
    big = torch.tensor([[-60.0, -20.0, 0.5], [20.0, 60.0, -0.5]], dtype=torch.float64)
    case(ff, "bcel_large", lambda a, b: F.binary_cross_entropy_with_logits(a, b, reduction="sum"),
         [big, torch.tensor([[1.0, 0.0, 0.3], [0.0, 1.0, 0.7]], dtype=torch.float64)])
    # Class weights for nll_loss and cross_entropy (with ignore_index and label smoothing).
    scores = rnd(5, 4)
    cw = pos(4)
    target = torch.tensor([2, 0, 3, 1, 3])
    ignored = torch.tensor([2, -100, 3, 1, -100])
    weighted = (
        ("nll_w", lambda a, tt: F.nll_loss(a, tt, weight=cw), target),
        ("nll_w_sum", lambda a, tt: F.nll_loss(a, tt, weight=cw, reduction="sum"), target),
        ("nll_w_none", lambda a, tt: F.nll_loss(a, tt, weight=cw, reduction="none"), ignored),
        ("nll_w_ignore", lambda a, tt: F.nll_loss(a, tt, weight=cw), ignored),
        ("ce_w", lambda a, tt: F.cross_entropy(a, tt, weight=cw), target),
        ("ce_w_sum", lambda a, tt: F.cross_entropy(a, tt, weight=cw, reduction="sum"), target),
        ("ce_w_none", lambda a, tt: F.cross_entropy(a, tt, weight=cw, reduction="none"), ignored),
        ("ce_w_ignore", lambda a, tt: F.cross_entropy(a, tt, weight=cw), ignored),
        ("ce_w_smooth", lambda a, tt: F.cross_entropy(a, tt, weight=cw, label_smoothing=0.1), target),
        ("ce_w_smooth_ignore", lambda a, tt: F.cross_entropy(a, tt, weight=cw, label_smoothing=0.2), ignored),
        ("ce_w_smooth_sum", lambda a, tt: F.cross_entropy(a, tt, weight=cw, label_smoothing=0.3, reduction="sum"),
         ignored),
        ("ce_w_smooth_none", lambda a, tt: F.cross_entropy(a, tt, weight=cw, label_smoothing=0.3, reduction="none"),
         ignored),
    )
    for name, fn, tt in weighted:
        case(ff, name, fn, [scores, tt])
        ff.add(f"{name}.weight", as_stored(cw))
    kw = pos(3)
    case(ff, "ce_w_kdim", lambda a, tt: F.cross_entropy(a, tt, weight=kw, label_smoothing=0.1),
         [rnd(2, 3, 4), torch.tensor([[0, 2, 1, 1], [2, 0, 0, 1]])])
    ff.add("ce_w_kdim.weight", as_stored(kw))
    # kl_div: log-probabilities against probabilities (with zeros: xlogy(0, 0) = 0) or log-targets.
    lp = F.log_softmax(rnd(3, 4), 1)
    q = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.0, 0.5, 0.5, 0.0], [0.25, 0.25, 0.25, 0.25]], dtype=torch.float64)
    # q has zeros, where PyTorch's gradient with respect to the target is NaN (xlogy's): q is stored
    # as NAME.target; kl_pos_target checks that gradient on positive targets.
    for r in ("mean", "batchmean", "sum", "none"):
        case(ff, f"kl_{r}", lambda a, r=r: F.kl_div(a, q, reduction=r), [lp])
        ff.add(f"kl_{r}.target", q)
    case(ff, "kl_pos_target", lambda a, b: F.kl_div(a, b, reduction="batchmean"), [lp, q * 0.8 + 0.05])
    case(ff, "kl_log_target", lambda a, b: F.kl_div(a, b, reduction="batchmean", log_target=True),
         [lp, F.log_softmax(rnd(3, 4), 1)])
    # margin_ranking_loss and cosine_embedding_loss, targets +-1.
    sign = torch.tensor([1.0, -1.0, -1.0, 1.0, 1.0], dtype=torch.float64)
    case(ff, "margin_ranking", lambda a, b: F.margin_ranking_loss(a, b, sign, margin=0.5), [rnd(5), rnd(5)])
    ff.add("margin_ranking.target", sign)
    case(ff, "margin_ranking_none", lambda a, b: F.margin_ranking_loss(a, b, sign, reduction="none"), [rnd(5), rnd(5)])
    ff.add("margin_ranking_none.target", sign)
    cos_t = torch.tensor([1, -1, -1, 1])
    case(ff, "cosine_embedding", lambda a, b, tt: F.cosine_embedding_loss(a, b, tt), [rnd(4, 3), rnd(4, 3), cos_t])
    case(ff, "cosine_embedding_margin_none",
         lambda a, b, tt: F.cosine_embedding_loss(a, b, tt, margin=-0.9, reduction="none"), [rnd(4, 3), rnd(4, 3), cos_t])
    case(ff, "cosine_embedding_1d", lambda a, b, tt: F.cosine_embedding_loss(a, b, tt),
         [rnd(5), rnd(5), torch.tensor(-1)])
    return ff


def norm_pool():
    """Batch norm and average / adaptive pooling (written last: it draws after every older file,
    so adding it left their values unchanged)."""
    ff = FixtureFile("norm_pool")
    p = rnd(2, 2, 7, 6)
    case(ff, "avg_pool2d_k2", lambda a: F.avg_pool2d(a, 2), [p])
    case(ff, "avg_pool2d_k3_s2_p1", lambda a: F.avg_pool2d(a, 3, stride=2, padding=1), [p])
    case(ff, "avg_pool2d_k3_s2_p1_nopad",
         lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, count_include_pad=False), [p])
    case(ff, "avg_pool2d_ceil", lambda a: F.avg_pool2d(a, 3, stride=2, padding=1, ceil_mode=True,
                                                       count_include_pad=False), [p])
    case(ff, "avg_pool2d_ceil_incl", lambda a: F.avg_pool2d(a, 2, stride=2, ceil_mode=True), [p])
    case(ff, "avg_pool2d_rect_divisor", lambda a: F.avg_pool2d(a, (3, 2), stride=(1, 2), padding=(1, 0),
                                                               divisor_override=4), [p])
    case(ff, "adaptive_avg_pool2d_1", lambda a: F.adaptive_avg_pool2d(a, 1), [p])
    case(ff, "adaptive_avg_pool2d_3x4", lambda a: F.adaptive_avg_pool2d(a, (3, 4)), [p])
    case(ff, "adaptive_avg_pool2d_up", lambda a: F.adaptive_avg_pool2d(a, (9, 8)), [p])
    case(ff, "adaptive_max_pool2d_3x4", lambda a: F.adaptive_max_pool2d(a, (3, 4), return_indices=True), [p])
    case(ff, "adaptive_max_pool2d_1", lambda a: F.adaptive_max_pool2d(a, 1, return_indices=True), [p])
    # batch_norm beyond conv_pool's two cases: 2-D and 3-D inputs, no affine, no running
    # statistics, and a channel whose mean is far larger than its spread (a one-pass variance
    # would cancel there).
    for name, x, affine, stats in (("bn_2d", rnd(5, 3), True, True), ("bn_3d", rnd(4, 3, 5), True, True),
                                   ("bn_noaffine", rnd(3, 3, 2, 2), False, True),
                                   ("bn_nostats", rnd(3, 3, 2, 2), True, False),
                                   ("bn_offset", (rnd(6, 3, 3, 3) * 0.1 + 100.0).float().double(), True, True)):
        rm, rv = rnd(3) * 0.1, pos(3)
        ff.add(f"{name}.rm", as_stored(rm))
        ff.add(f"{name}.rv", as_stored(rv))
        rm_run, rv_run = (rm.clone(), rv.clone()) if stats else (None, None)
        ins = [x, pos(3), rnd(3)] if affine else [x]
        case(ff, name, lambda x, w=None, b=None, rm_run=rm_run, rv_run=rv_run: F.batch_norm(
            x, rm_run, rv_run, w, b, training=True, momentum=0.1, eps=1e-5), ins)
        if stats:
            ff.add(f"{name}.rm_after", rm_run)
            ff.add(f"{name}.rv_after", rv_run)
    # nn.BatchNorm2d(3, momentum=None): the cumulative average over three training batches.
    bn = torch.nn.BatchNorm2d(3, momentum=None).double()
    for i in range(3):
        x = rnd(2, 3, 2, 2) + i
        ff.add(f"bn_cma.x{i}", as_stored(x))
        bn(x)
    ff.add("bn_cma.rm_after", bn.running_mean)
    ff.add("bn_cma.rv_after", bn.running_var)
    return ff


def conv_pad():
    """F::pad in each mode, Conv2d's padding modes and 'same', Conv1d, the 1-D pools and
    conv_transpose2d (written last: it draws after every older file)."""
    ff = FixtureFile("conv_pad")
    x1, x2, x3 = rnd(2, 3, 5), rnd(2, 2, 4, 5), rnd(1, 2, 3, 4, 5)
    for mode in ("constant", "reflect", "replicate", "circular"):
        case(ff, f"pad1d_{mode}", lambda a, mode=mode: F.pad(a, (2, 1), mode=mode), [x1])
        case(ff, f"pad2d_{mode}", lambda a, mode=mode: F.pad(a, (1, 3, 2, 0), mode=mode), [x2])
        case(ff, f"pad3d_{mode}", lambda a, mode=mode: F.pad(a, (1, 2, 0, 1, 2, 1), mode=mode), [x3])
        case(ff, f"pad2d_neg_{mode}", lambda a, mode=mode: F.pad(a, (-1, 2, 1, -2), mode=mode), [x2])
    case(ff, "pad_constant_value", lambda a: F.pad(a, (1, 1, 0, 2, 1, 0), value=2.5), [x2])
    case(ff, "pad_constant_4d", lambda a: F.pad(a, (1, 0, 0, 1, 1, 1, 0, 2), value=-1.0), [x2])
    case(ff, "pad2d_unbatched_reflect", lambda a: F.pad(a, (3, 1, 1, 2), mode="reflect"), [rnd(2, 4, 5)])
    w = rnd(4, 2, 3, 3)
    b = rnd(4)
    for mode in ("zeros", "reflect", "replicate", "circular"):
        conv = torch.nn.Conv2d(2, 4, 3, padding=(1, 2), padding_mode=mode).double()
        case(ff, f"conv2d_{mode}", lambda a, w_, b_, conv=conv: conv._conv_forward(a, w_, b_), [x2, w, b])
    case(ff, "conv2d_same", lambda a, w_, b_: F.conv2d(a, w_, b_, padding="same"), [x2, rnd(3, 2, 2, 4), rnd(3)])
    case(ff, "conv2d_same_dil", lambda a, w_: F.conv2d(a, w_, padding="same", dilation=(2, 1)), [x2, rnd(3, 2, 3, 2)])
    case(ff, "conv2d_valid", lambda a, w_: F.conv2d(a, w_, padding="valid"), [x2, w])
    conv = torch.nn.Conv2d(2, 3, (2, 4), padding="same", padding_mode="reflect").double()
    case(ff, "conv2d_same_reflect", lambda a, w_, b_: conv._conv_forward(a, w_, b_), [x2, rnd(3, 2, 2, 4), rnd(3)])
    case(ff, "conv1d", lambda a, w_, b_: F.conv1d(a, w_, b_, stride=2, padding=1, dilation=1), [x1, rnd(4, 3, 3), rnd(4)])
    case(ff, "conv1d_groups_dil", lambda a, w_: F.conv1d(a, w_, padding=2, dilation=2, groups=3),
         [rnd(2, 3, 7), rnd(6, 1, 2)])
    case(ff, "conv1d_unbatched_same", lambda a, w_: F.conv1d(a, w_, padding="same"), [rnd(3, 6), rnd(2, 3, 4)])
    conv = torch.nn.Conv1d(3, 2, 3, padding=2, padding_mode="circular").double()
    case(ff, "conv1d_circular", lambda a, w_, b_: conv._conv_forward(a, w_, b_), [x1, rnd(2, 3, 3), rnd(2)])
    p = rnd(2, 3, 9)
    case(ff, "max_pool1d", lambda a: F.max_pool1d(a, 3, stride=2, padding=1, dilation=1), [p])
    case(ff, "max_pool1d_dil_ceil", lambda a: F.max_pool1d(a, 2, stride=2, dilation=2, ceil_mode=True), [p])
    case(ff, "avg_pool1d", lambda a: F.avg_pool1d(a, 3, stride=2, padding=1), [p])
    case(ff, "avg_pool1d_nopad_ceil", lambda a: F.avg_pool1d(a, 4, stride=3, padding=1, ceil_mode=True,
                                                             count_include_pad=False), [p])
    xt = rnd(2, 4, 3, 4)
    case(ff, "conv_transpose2d", lambda a, w_, b_: F.conv_transpose2d(a, w_, b_), [xt, rnd(4, 3, 3, 2), rnd(3)])
    case(ff, "conv_transpose2d_s2_p1_op1", lambda a, w_, b_: F.conv_transpose2d(
        a, w_, b_, stride=2, padding=1, output_padding=1), [xt, rnd(4, 3, 3, 3), rnd(3)])
    case(ff, "conv_transpose2d_groups_dil", lambda a, w_: F.conv_transpose2d(
        a, w_, stride=(2, 1), padding=(0, 1), output_padding=(1, 0), groups=2, dilation=(1, 2)), [xt, rnd(4, 1, 2, 3)])
    case(ff, "conv_transpose2d_unbatched", lambda a, w_: F.conv_transpose2d(a, w_, stride=3), [rnd(4, 2, 3),
                                                                                               rnd(4, 2, 2, 2)])
    return ff


def normalization():
    """layer_norm, group_norm, instance_norm and normalize (written last: it draws after every
    older file, so adding it left their values unchanged)."""
    ff = FixtureFile("normalization")
    case(ff, "ln_1d", lambda x, w, b: F.layer_norm(x, [5], w, b), [rnd(4, 5), pos(5), rnd(5)])
    case(ff, "ln_2d", lambda x, w, b: F.layer_norm(x, [3, 4], w, b), [rnd(2, 3, 4), pos(3, 4), rnd(3, 4)])
    case(ff, "ln_noaffine", lambda x: F.layer_norm(x, [6]), [rnd(3, 6)])
    case(ff, "ln_weight_only", lambda x, w: F.layer_norm(x, [2, 5], w), [rnd(2, 2, 5), pos(2, 5)])
    case(ff, "ln_eps", lambda x, w, b: F.layer_norm(x, [4], w, b, eps=0.1), [rnd(3, 4), pos(4), rnd(4)])
    # A mean far larger than the spread: a one-pass variance would cancel.
    case(ff, "ln_offset", lambda x, w, b: F.layer_norm(x, [8], w, b),
         [(rnd(3, 8) * 0.1 + 100.0).float().double(), pos(8), rnd(8)])
    case(ff, "gn_3d", lambda x, w, b: F.group_norm(x, 3, w, b), [rnd(2, 6, 3), pos(6), rnd(6)])
    case(ff, "gn_4d", lambda x, w, b: F.group_norm(x, 2, w, b), [rnd(2, 4, 2, 3), pos(4), rnd(4)])
    case(ff, "gn_one_group", lambda x: F.group_norm(x, 1), [rnd(3, 4, 5)])
    case(ff, "gn_group_per_channel", lambda x, w, b: F.group_norm(x, 4, w, b, eps=1e-3),
         [rnd(2, 4, 3), pos(4), rnd(4)])
    case(ff, "gn_2d", lambda x, w, b: F.group_norm(x, 2, w, b), [rnd(3, 6), pos(6), rnd(6)])
    case(ff, "in_3d", lambda x, w, b: F.instance_norm(x, weight=w, bias=b), [rnd(2, 3, 5), pos(3), rnd(3)])
    case(ff, "in_4d", lambda x: F.instance_norm(x), [rnd(2, 3, 2, 3)])
    # With running statistics: updated with the samples' mean in training, used in eval.
    rm, rv = rnd(3) * 0.1, pos(3)
    ff.add("in_stats.rm", as_stored(rm))
    ff.add("in_stats.rv", as_stored(rv))
    rm_run, rv_run = rm.clone(), rv.clone()
    case(ff, "in_stats", lambda x, w, b: F.instance_norm(x, rm_run, rv_run, w, b, use_input_stats=True, momentum=0.2),
         [rnd(2, 3, 4), pos(3), rnd(3)])
    ff.add("in_stats.rm_after", rm_run)
    ff.add("in_stats.rv_after", rv_run)
    case(ff, "in_eval", lambda x: F.instance_norm(x, rm, rv, use_input_stats=False), [rnd(2, 3, 4)])
    case(ff, "normalize", lambda x: F.normalize(x), [rnd(3, 4)])
    case(ff, "normalize_p1_dim0", lambda x: F.normalize(x, p=1.0, dim=0), [rnd(3, 4)])
    case(ff, "normalize_p3_last", lambda x: F.normalize(x, p=3.0, dim=-1), [rnd(2, 3, 4)])
    case(ff, "normalize_inf", lambda x: F.normalize(x, p=float("inf"), dim=1), [rnd(3, 4)])
    # A zero row: its norm is clamped to eps, so it stays zero (its gradient is g / eps).
    zero_row = rnd(3, 4)
    zero_row[1] = 0
    case(ff, "normalize_zero_row", lambda x: F.normalize(x, eps=1e-6), [zero_row])
    return ff


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    os.makedirs(outdir, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    total = 0
    # Each later family draws from the generator as it stood after `index`, the one it was written
    # against, so adding a family leaves every other file's values as they were.
    after_index = None
    for make in (tensor_random, elementwise, reduce, linalg, conv_pool, loss, index, activation, losses, norm_pool, conv_pad,
                 normalization):
        if make is activation:
            after_index = _gen.get_state()
        if make is norm_pool:
            _gen.set_state(after_index)
        path = make().write(outdir)
        size = os.path.getsize(path)
        total += size
        print(f"{os.path.normpath(path)}: {size} bytes")
    print(f"total: {total} bytes")


if __name__ == "__main__":
    main()
