#!/usr/bin/env python3
"""Writes tests/fixtures/layers3d.txt: F.embedding_bag, the 3-D convolution and pools, and
F.unfold / F.fold from PyTorch 1.13 (values and gradients, float64 references of float32-exact
inputs), for tests/test_embedding_bag.cpp and tests/test_layers3d.cpp.

usage: /usr/bin/python3 tools/gen_layers3d_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import os
import sys

import torch
import torch.nn.functional as F

from gen_fixtures import FixtureFile, case  # same folder: the one writer of the fixture format

_gen = torch.Generator().manual_seed(2026)


def rnd(*shape):
    """Standard normal values, rounded to float32, as float64."""
    return torch.randn(tuple(shape), generator=_gen, dtype=torch.float32).double()


def longs(*values):
    return torch.tensor(values, dtype=torch.long)


def embedding_bag(ff):
    # Bags [1 2] [] [4 5 4] [3 2 0]: an empty bag, a repeated row, and row 2 as padding below.
    idx, off = longs(1, 2, 4, 5, 4, 3, 2, 0), longs(0, 2, 2, 5)
    case(ff, "eb_sum", lambda w, i, o: F.embedding_bag(i, w, o, mode="sum"), [rnd(6, 3), idx, off])
    case(ff, "eb_mean", lambda w, i, o: F.embedding_bag(i, w, o, mode="mean"), [rnd(6, 3), idx, off])
    case(ff, "eb_max", lambda w, i, o: F.embedding_bag(i, w, o, mode="max"), [rnd(6, 3), idx, off])
    case(ff, "eb_mean_pad", lambda w, i, o: F.embedding_bag(i, w, o, mode="mean", padding_idx=2),
         [rnd(6, 3), idx, off])
    case(ff, "eb_max_pad", lambda w, i, o: F.embedding_bag(i, w, o, mode="max", padding_idx=-4),
         [rnd(6, 3), idx, off])
    case(ff, "eb_sum_psw_pad", lambda w, i, o, p: F.embedding_bag(i, w, o, mode="sum", per_sample_weights=p,
                                                                  padding_idx=2), [rnd(6, 3), idx, off, rnd(8)])
    # include_last_offset: offsets[-1] ends the last bag. (PyTorch 1.13's CPU kernel corrupts
    # memory when it is below the input's length, so the fixtures end it at the length.)
    off_last = longs(0, 2, 2, 5, 8)
    case(ff, "eb_mean_last", lambda w, i, o: F.embedding_bag(i, w, o, mode="mean", include_last_offset=True),
         [rnd(6, 3), idx, off_last])
    case(ff, "eb_max_last", lambda w, i, o: F.embedding_bag(i, w, o, mode="max", include_last_offset=True),
         [rnd(6, 3), idx, off_last])
    # 2-D input: fixed-size bags, one per row.
    idx2 = longs(0, 3, 3, 1, 4, 2).view(2, 3)
    case(ff, "eb_2d_sum_psw", lambda w, i, p: F.embedding_bag(i, w, mode="sum", per_sample_weights=p),
         [rnd(5, 4), idx2, rnd(2, 3)])
    case(ff, "eb_2d_max", lambda w, i: F.embedding_bag(i, w, mode="max"), [rnd(5, 4), idx2])


def layers3d(ff):
    # conv3d: bias, a stride and padding per dim; groups with dilation and a depth stride; an
    # unbatched input; padding='same' with even kernels (the odd extra goes right, via F.pad).
    case(ff, "conv3d", lambda x, w, b: F.conv3d(x, w, b, stride=(1, 2, 1), padding=(1, 0, 1)),
         [rnd(2, 3, 5, 6, 5), rnd(4, 3, 3, 2, 3), rnd(4)])
    case(ff, "conv3d_groups_dil", lambda x, w: F.conv3d(x, w, stride=(2, 1, 2), padding=(2, 1, 0),
                                                          dilation=(2, 1, 2), groups=2),
         [rnd(1, 4, 7, 5, 5), rnd(6, 2, 2, 3, 2)])
    case(ff, "conv3d_unbatched", lambda x, w, b: F.conv3d(x, w, b, stride=2), [rnd(2, 4, 5, 4), rnd(3, 2, 1, 2, 2),
                                                                              rnd(3)])
    case(ff, "conv3d_same", lambda x, w: F.conv3d(x, w, padding="same"), [rnd(1, 2, 4, 5, 4), rnd(2, 2, 2, 3, 2)])
    # max_pool3d (values, and indices as out1): ceil_mode with padding and dilation; the default
    # stride; an unbatched input.
    case(ff, "max_pool3d", lambda x: F.max_pool3d(x, (2, 3, 2), stride=(2, 2, 1), padding=(1, 1, 0),
                                                  dilation=(1, 1, 2), ceil_mode=True, return_indices=True),
         [rnd(2, 2, 5, 6, 7)])
    case(ff, "max_pool3d_k2", lambda x: F.max_pool3d(x, 2, return_indices=True), [rnd(1, 3, 4, 5, 4)])
    case(ff, "max_pool3d_unbatched", lambda x: F.max_pool3d(x, 3, stride=2, padding=1, return_indices=True),
         [rnd(2, 5, 5, 6)])
    # avg_pool3d: ceil_mode without the padding in the divisor; divisor_override; unbatched.
    case(ff, "avg_pool3d_ceil", lambda x: F.avg_pool3d(x, (3, 2, 3), stride=(2, 1, 2), padding=(1, 1, 1),
                                                       ceil_mode=True, count_include_pad=False),
         [rnd(2, 2, 5, 4, 6)])
    case(ff, "avg_pool3d_pad", lambda x: F.avg_pool3d(x, 3, stride=2, padding=1, ceil_mode=True),
         [rnd(1, 2, 6, 5, 5)])
    case(ff, "avg_pool3d_divisor", lambda x: F.avg_pool3d(x, (2, 2, 3), stride=1, padding=(1, 0, 1),
                                                          divisor_override=5), [rnd(2, 4, 3, 5)])
    case(ff, "adaptive_avg_pool3d", lambda x: F.adaptive_avg_pool3d(x, (2, 3, 4)), [rnd(2, 2, 5, 7, 6)])
    case(ff, "adaptive_avg_pool3d_unbatched", lambda x: F.adaptive_avg_pool3d(x, (3, 1, 4)), [rnd(2, 4, 3, 7)])
    case(ff, "adaptive_max_pool3d", lambda x: F.adaptive_max_pool3d(x, (3, 4, 2), return_indices=True),
         [rnd(2, 2, 5, 7, 6)])
    case(ff, "adaptive_max_pool3d_unbatched", lambda x: F.adaptive_max_pool3d(x, (2, 2, 3), return_indices=True),
         [rnd(3, 4, 3, 5)])
    # BatchNorm3d in training (batch statistics) and InstanceNorm3d with affine parameters.
    case(ff, "batch_norm3d", lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
         [rnd(2, 3, 2, 3, 4), rnd(3), rnd(3)])
    case(ff, "instance_norm3d", lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
         [rnd(2, 3, 2, 3, 4), rnd(3), rnd(3)])


def fold(ff):
    # unfold with overlapping, padded, dilated blocks; fold of batched and unbatched columns (the
    # overlaps summed).
    case(ff, "unfold", lambda x: F.unfold(x, (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [rnd(2, 3, 5, 6)])
    case(ff, "fold", lambda c: F.fold(c, (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
         [rnd(2, 18, 12)])
    case(ff, "fold_unbatched", lambda c: F.fold(c, (4, 4), 2), [rnd(8, 9)])


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    ff = FixtureFile("layers3d", writer="tools/gen_layers3d_fixtures.py")
    embedding_bag(ff)
    layers3d(ff)
    fold(ff)
    print("wrote", ff.write(outdir))


if __name__ == "__main__":
    main()
