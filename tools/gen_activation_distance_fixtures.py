#!/usr/bin/env python3
"""Writes tests/fixtures/activation_distance.txt: PyTorch's threshold, hardshrink, softshrink,
softsign, tanhshrink, prelu, cosine_similarity and pairwise_distance (the compositions of
src/ops/activation_compositions.cpp), in the format of tools/gen_fixtures.py (its FixtureFile
and case), from a seed of their own.

    /usr/bin/python3 tools/gen_activation_distance_fixtures.py [OUTDIR]
"""
import os
import sys

import torch
import torch.nn.functional as F

import gen_fixtures as g


def activation_distance():
    g._gen.manual_seed(20261204)
    ff = g.FixtureFile("activation_distance", writer="tools/gen_activation_distance_fixtures.py")
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


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    print(activation_distance().write(outdir))


if __name__ == "__main__":
    main()
