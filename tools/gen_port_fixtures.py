#!/usr/bin/env python3
"""Writes the fixtures of the ops that ports of LibTorch programs needed beyond the issues' lists,
in the format of tools/gen_fixtures.py (its FixtureFile and case), each family from a seed of its
own: tests/fixtures/pool1d.txt (the 1-D pools ember builds on the 2-D ones: adaptive average and
max pooling, max pooling with indices, the ATen free forms) and
tests/fixtures/activation_distance.txt (threshold, hardshrink, softshrink, softsign, tanhshrink,
prelu, cosine_similarity and pairwise_distance: src/ops/activation_compositions.cpp) and
tests/fixtures/math_ops.txt (tan, the inverse and hyperbolic functions, log1p, expm1, atan2, div
with rounding modes: src/ops/pointwise_extra.cpp).

    /usr/bin/python3 tools/gen_port_fixtures.py [OUTDIR]
"""
import os
import sys

import torch
import torch.nn.functional as F

import gen_fixtures as g

WRITER = "tools/gen_port_fixtures.py"


def pool1d():
    g._gen.manual_seed(20261203)
    ff = g.FixtureFile("pool1d", writer=WRITER)
    x = g.rnd(2, 3, 9)
    u = g.rnd(4, 7)  # unbatched (C, L)
    g.case(ff, "adaptive_avg_pool1d_4", lambda a: F.adaptive_avg_pool1d(a, 4), [x])
    g.case(ff, "adaptive_avg_pool1d_up", lambda a: F.adaptive_avg_pool1d(a, 11), [x])
    g.case(ff, "adaptive_avg_pool1d_unbatched", lambda a: F.adaptive_avg_pool1d(a, 3), [u])
    g.case(ff, "adaptive_max_pool1d_4", lambda a: F.adaptive_max_pool1d(a, 4, return_indices=True), [x])
    g.case(ff, "adaptive_max_pool1d_unbatched", lambda a: F.adaptive_max_pool1d(a, 5, return_indices=True), [u])
    g.case(ff, "max_pool1d_indices", lambda a: F.max_pool1d(a, 3, stride=2, padding=1, return_indices=True), [x])
    g.case(ff, "max_pool1d_indices_dil_ceil",
           lambda a: F.max_pool1d(a, 2, stride=3, dilation=2, ceil_mode=True, return_indices=True), [x])
    g.case(ff, "aten_max_pool1d", lambda a: torch.max_pool1d(a, [3], [], [1], [1], False), [x])
    g.case(ff, "aten_avg_pool1d", lambda a: torch.avg_pool1d(a, [4], [2], [2], True, False), [x])
    return ff


def activation_distance():
    g._gen.manual_seed(20261204)
    ff = g.FixtureFile("activation_distance", writer=WRITER)
    x = g.rnd(2, 3, 4)
    g.case(ff, "threshold", lambda a: F.threshold(a, 0.25, 20.0), [x])
    g.case(ff, "hardshrink", lambda a: F.hardshrink(a, 0.5), [x])
    g.case(ff, "softshrink", lambda a: F.softshrink(a, 0.5), [x])
    # Values exactly at the thresholds (exact in float32 too): the gradient there is PyTorch's, 0.
    edge = torch.tensor([0.25, -0.5, 0.5, 0.0, 1.0], dtype=torch.float64)
    g.case(ff, "threshold_edge", lambda a: F.threshold(a, 0.25, 20.0), [edge])
    g.case(ff, "hardshrink_edge", lambda a: F.hardshrink(a, 0.5), [edge])
    g.case(ff, "softshrink_edge", lambda a: F.softshrink(a, 0.5), [edge])
    g.case(ff, "softsign", lambda a: F.softsign(a), [x])
    g.case(ff, "tanhshrink", lambda a: F.tanhshrink(a), [x])
    g.case(ff, "prelu_channels", lambda a, w: F.prelu(a, w), [x, g.rnd(3)])
    g.case(ff, "prelu_one", lambda a, w: F.prelu(a, w), [x, g.rnd(1)])
    g.case(ff, "prelu_1d", lambda a, w: F.prelu(a, w), [g.rnd(5), g.rnd(1)])
    y = g.rnd(2, 3, 4)
    g.case(ff, "cosine_similarity", lambda a, b: F.cosine_similarity(a, b), [x, y])
    g.case(ff, "cosine_similarity_broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1, eps=1e-6),
           [x, g.rnd(3, 4)])
    g.case(ff, "pairwise_distance", lambda a, b: F.pairwise_distance(a, b), [x, y])
    g.case(ff, "pairwise_distance_p1_keepdim", lambda a, b: F.pairwise_distance(a, b, p=1.0, keepdim=True),
           [g.rnd(5, 3), g.rnd(1, 3)])
    g.case(ff, "pairwise_distance_p3", lambda a, b: F.pairwise_distance(a, b, p=3.0, eps=1e-3), [g.rnd(4, 6),
                                                                                                g.rnd(4, 6)])
    return ff


def math_ops():
    g._gen.manual_seed(20261205)
    ff = g.FixtureFile("math_ops", writer=WRITER)
    x = g.rnd(3, 4)
    inside = (g.rnd(3, 4) * 0.4).clamp(-0.95, 0.95)  # the domain of asin, acos, atanh
    g.case(ff, "tan", torch.tan, [(x * 0.5)])
    g.case(ff, "asin", torch.asin, [inside])
    g.case(ff, "acos", torch.acos, [inside])
    g.case(ff, "atan", torch.atan, [x])
    g.case(ff, "sinh", torch.sinh, [x])
    g.case(ff, "cosh", torch.cosh, [x])
    g.case(ff, "asinh", torch.asinh, [x])
    g.case(ff, "acosh", torch.acosh, [g.pos(3, 4) + 1])
    g.case(ff, "atanh", torch.atanh, [inside])
    g.case(ff, "log1p", torch.log1p, [g.pos(3, 4) - 0.4])
    g.case(ff, "expm1", torch.expm1, [x])
    g.case(ff, "atan2", torch.atan2, [g.rnd(3, 4), g.rnd(3, 4)])
    g.case(ff, "atan2_broadcast", torch.atan2, [g.rnd(2, 3, 4), g.away_from_zero(4)])
    a, b = g.rnd(3, 4) * 4, g.away_from_zero(3, 4)
    g.case(ff, "div_trunc", lambda p, q: torch.div(p, q, rounding_mode="trunc"), [a, b])
    g.case(ff, "div_floor", lambda p, q: torch.div(p, q, rounding_mode="floor"), [a, b])
    # Quotients whose floor PyTorch takes from (a - fmod(a, b)) / b, not from a / b.
    exact = torch.tensor([7.0, -7.0, 1.0, -0.0, 5.5, 0.3], dtype=torch.float64)
    by = torch.tensor([0.7, 0.7, 0.1, 3.0, -0.5, -0.1], dtype=torch.float64)
    g.case(ff, "div_floor_edge", lambda p, q: torch.div(p, q, rounding_mode="floor"), [exact, by], grad=False)
    return ff


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    for make in (pool1d, activation_distance, math_ops):
        print(make().write(outdir))


if __name__ == "__main__":
    main()
