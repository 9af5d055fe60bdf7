#!/usr/bin/env python3
"""Writes tests/fixtures/interpolate.txt: F.interpolate and F.pixel_shuffle from PyTorch 1.13
in float64, for tests/test_interpolate.cpp. Each case NAME stores its input (NAME.in0), output
(NAME.out) and the gradient of sum(output * g) with g = arange(numel) * 0.11 + 0.5 (NAME.grad0).

usage: /usr/bin/python3 tools/gen_interpolate_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import os
import sys

import torch
import torch.nn.functional as F

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

# name, input shape, F.interpolate's options (tests/test_interpolate.cpp spells the same ones).
CASES = [
    ("nearest_size", (1, 2, 3, 4), dict(size=[5, 7], mode="nearest")),
    ("nearest_scale", (1, 2, 3, 4), dict(scale_factor=[2.0, 1.5], mode="nearest")),
    ("nearest_exact", (1, 2, 3, 4), dict(size=[5, 7], mode="nearest-exact")),
    ("bilinear", (1, 2, 3, 4), dict(size=[5, 7], mode="bilinear", align_corners=False)),
    ("bilinear_ac", (1, 2, 3, 4), dict(size=[5, 7], mode="bilinear", align_corners=True)),
    ("bilinear_scale", (2, 1, 4, 5), dict(scale_factor=[1.7, 0.6], mode="bilinear", align_corners=False)),
    ("bilinear_recompute", (2, 1, 4, 5), dict(scale_factor=[1.7, 0.6], mode="bilinear", recompute_scale_factor=True)),
    ("linear", (1, 2, 5), dict(size=[8], mode="linear")),
    ("trilinear", (1, 1, 2, 3, 3), dict(scale_factor=[2.0, 2.0, 2.0], mode="trilinear", align_corners=True)),
    ("area", (1, 2, 4, 6), dict(size=[2, 3], mode="area")),
    ("nearest_1d", (1, 2, 5), dict(size=[3], mode="nearest")),
]
# Drawn after pixel_shuffle's input, so that adding them left every older value unchanged.
LATER_CASES = [
    ("bicubic", (1, 2, 4, 5), dict(size=[7, 9], mode="bicubic", align_corners=False)),
    ("bicubic_ac", (1, 2, 4, 5), dict(size=[7, 3], mode="bicubic", align_corners=True)),
    ("bicubic_scale", (2, 1, 3, 6), dict(scale_factor=[2.5, 0.7], mode="bicubic", align_corners=False)),
]


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    gen = torch.Generator().manual_seed(7)
    ff = FixtureFile("interpolate", writer="tools/gen_interpolate_fixtures.py")

    def add_cases(cases):
        for name, shape, options in cases:
            x = torch.randn(shape, generator=gen, dtype=torch.float64).requires_grad_()
            y = F.interpolate(x, **options)
            g = (torch.arange(y.numel(), dtype=torch.float64) * 0.11 + 0.5).reshape(y.shape)
            (y * g).sum().backward()
            ff.add(name + ".in0", x)
            ff.add(name + ".out", y)
            ff.add(name + ".grad0", x.grad)

    add_cases(CASES)
    x = torch.randn((1, 8, 2, 3), generator=gen, dtype=torch.float64)
    ff.add("pixel_shuffle.in0", x)
    ff.add("pixel_shuffle.out", F.pixel_shuffle(x, 2))
    add_cases(LATER_CASES)
    print("wrote", os.path.normpath(ff.write(outdir)))


if __name__ == "__main__":
    main()
