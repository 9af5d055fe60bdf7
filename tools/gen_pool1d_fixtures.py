#!/usr/bin/env python3
"""Writes tests/fixtures/pool1d.txt: PyTorch's 1-D pools that ember builds on the 2-D ones
(adaptive average and max pooling, max pooling with indices, the ATen free forms), in the
format of tools/gen_fixtures.py (its FixtureFile and case), from a seed of their own.

    /usr/bin/python3 tools/gen_pool1d_fixtures.py [OUTDIR]
"""
import os
import sys

import torch
import torch.nn.functional as F

import gen_fixtures as g


def pool1d():
    g._gen.manual_seed(20261203)
    ff = g.FixtureFile("pool1d", writer="tools/gen_pool1d_fixtures.py")
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


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
    print(pool1d().write(outdir))


if __name__ == "__main__":
    main()
