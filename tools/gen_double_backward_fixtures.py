#!/usr/bin/env python3
"""Writes tests/fixtures/double_backward.txt: PyTorch's create_graph gradients of batch_norm and
the pools, for tests/test_double_backward_norm_pool.cpp.

    /usr/bin/python3 tools/gen_double_backward_fixtures.py [OUTDIR]

Each case NAME runs L = sum(op(x)^2 * u), takes g = dL/dx with create_graph=True (NAME.out),
then differentiates sum(g * v) again: NAME.grad0 with respect to x, for batch_norm with
weights NAME.grad1 with respect to the weight, and the last NAME.gradK with respect to u. Inputs are
NAME.in0 = x, NAME.in1 = u, NAME.in2 = v (and NAME.in3, NAME.in4 = weight, bias), float64.
"""
import os
import sys

import torch
import torch.nn.functional as F

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

gen = torch.Generator().manual_seed(4321)


def rnd(*shape):
    return torch.randn(tuple(shape), generator=gen, dtype=torch.float64)


def case(ff, name, op, x_shape, weight=False):
    x = rnd(*x_shape).requires_grad_()
    params = []
    if weight:
        c = x_shape[1]
        params = [(rnd(c) * 0.5 + 1.0).requires_grad_(), rnd(c).requires_grad_()]
    y = op(x, *params)
    u = rnd(*y.shape).requires_grad_()
    (g,) = torch.autograd.grad((y * y * u).sum(), x, create_graph=True)
    v = rnd(*x_shape)
    wrt = [x] + params[:1] + [u]
    second = torch.autograd.grad((g * v).sum(), wrt)
    for i, t in enumerate([x, u, v] + params):
        ff.add(f"{name}.in{i}", t)
    ff.add(f"{name}.out", g)
    for i, t in enumerate(second):
        ff.add(f"{name}.grad{i}", t)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    ff = FixtureFile("double_backward", writer="tools/gen_double_backward_fixtures.py")
    rm, rv = rnd(3) * 0.3, rnd(3).abs() + 0.5
    ff.add("bn_eval.rm", rm)
    ff.add("bn_eval.rv", rv)
    case(ff, "bn_train", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), (4, 3, 2, 3), True)
    case(ff, "bn_eval", lambda x, w, b: F.batch_norm(x, rm, rv, w, b, training=False, eps=1e-3), (5, 3), True)
    case(ff, "bn_train_noaffine", lambda x: F.batch_norm(x, None, None, training=True), (3, 3, 4))
    case(ff, "max_pool1d", lambda x: F.max_pool1d(x, 3, 2, 1, ceil_mode=True), (2, 3, 8))
    case(ff, "max_pool2d", lambda x: F.max_pool2d(x, (3, 2), (2, 1), (1, 0), dilation=(1, 2)), (2, 2, 7, 6))
    case(ff, "avg_pool1d", lambda x: F.avg_pool1d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False), (2, 3, 8))
    case(ff, "avg_pool2d", lambda x: F.avg_pool2d(x, 3, 2, 1, divisor_override=5), (2, 2, 6, 5))
    case(ff, "adaptive_avg_pool2d", lambda x: F.adaptive_avg_pool2d(x, (3, 2)), (2, 2, 7, 5))
    case(ff, "adaptive_max_pool2d", lambda x: F.adaptive_max_pool2d(x, (3, 2)), (2, 2, 7, 5))
    print(ff.write(outdir))


if __name__ == "__main__":
    main()
