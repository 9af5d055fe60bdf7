#!/usr/bin/env python3
"""Writes tests/fixtures/conv_transpose.txt: F.conv_transpose1d and F.conv_transpose2d from
PyTorch 1.13 (values and gradients, float64 references of float32-exact inputs), for
tests/test_conv_transpose.cpp. The conv_transpose2d families without output_padding >= stride
live in conv_pad.txt (tools/gen_fixtures.py).

usage: /usr/bin/python3 tools/gen_conv_transpose_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import os
import sys

import torch
import torch.nn.functional as F

from gen_fixtures import FixtureFile, case  # same folder: the one writer of the fixture format

_gen = torch.Generator().manual_seed(4321)


def rnd(*shape):
    """Standard normal values, rounded to float32, as float64."""
    return torch.randn(tuple(shape), generator=_gen, dtype=torch.float32).double()


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    ff = FixtureFile("conv_transpose", writer="tools/gen_conv_transpose_fixtures.py")
    case(ff, "ct1d", lambda a, w, b: F.conv_transpose1d(a, w, b, stride=2, padding=1, output_padding=1),
         [rnd(2, 4, 5), rnd(4, 3, 3), rnd(3)])
    # output_padding 1 with stride 1 (allowed: below the dilation) and two groups.
    case(ff, "ct1d_groups_dil", lambda a, w: F.conv_transpose1d(a, w, padding=2, output_padding=1, groups=2,
                                                                dilation=2), [rnd(2, 4, 5), rnd(4, 1, 3)])
    case(ff, "ct1d_unbatched", lambda a, w, b: F.conv_transpose1d(a, w, b, stride=3), [rnd(4, 6), rnd(4, 2, 2),
                                                                                     rnd(2)])
    # output_padding reaching past the stride in height (below the dilation), not in width.
    case(ff, "ct2d_op_ge_stride", lambda a, w, b: F.conv_transpose2d(
        a, w, b, stride=(1, 2), padding=(1, 0), output_padding=(1, 1), dilation=(2, 1)),
        [rnd(2, 3, 3, 4), rnd(3, 2, 2, 3), rnd(2)])
    # Three groups, stride 2 both ways, output_padding 1: a decoder's upsampling layer.
    case(ff, "ct2d_groups3", lambda a, w, b: F.conv_transpose2d(a, w, b, stride=2, padding=1, output_padding=1,
                                                                groups=3), [rnd(1, 6, 3, 3), rnd(6, 2, 3, 3), rnd(6)])
    print("wrote", ff.write(outdir))


if __name__ == "__main__":
    main()
