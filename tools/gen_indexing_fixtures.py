#!/usr/bin/env python3
"""Writes tests/fixtures/indexing.txt: tensor indexing and the gather / scatter family from
PyTorch 1.13, for tests/test_indexing.cpp. Each case NAME stores NAME.in0, NAME.in1, ...,
NAME.out, and for differentiable cases NAME.gout and NAME.grad0, ... (tools/gen_fixtures.py's
`case`, in float64 with float32-exact inputs).

usage: /usr/bin/python3 tools/gen_indexing_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import os
import sys

import torch

from gen_fixtures import FixtureFile, case  # same folder: the one writer of the fixture format

_gen = torch.Generator().manual_seed(4321)


def rnd(*shape):
    """Standard normal values, rounded to float32, as float64 (distinct with probability 1)."""
    return torch.randn(tuple(shape), generator=_gen, dtype=torch.float32).double()


def away(*shape):
    """Values with |v| in [0.5, 1.5) and random sign: no zeros (prod's gradient)."""
    sign = torch.randint(0, 2, shape, generator=_gen).double() * 2 - 1
    return (torch.rand(tuple(shape), generator=_gen, dtype=torch.float32).double() + 0.5) * sign


def idx(*values):
    return torch.tensor(values, dtype=torch.int64)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    ff = FixtureFile("indexing", writer="tools/gen_indexing_fixtures.py")
    # Tensor::index: basic (views) and advanced (copies).
    case(ff, "basic", lambda a: a[1:, 0] * 1.0, [rnd(4, 3)])
    case(ff, "ellipsis_none", lambda a: a[..., None, 1:4:2] * 1.0, [rnd(2, 3, 5)])
    case(ff, "int_tensor", lambda a, i: a[i], [rnd(4, 3), idx([2, 0], [2, -1])])
    case(ff, "separated", lambda a, i, j: a[i, :, j], [rnd(3, 4, 5), idx(0, 2, 1), idx(4, 0, -1)])
    case(ff, "adjacent_bcast", lambda a, i, j: a[:, i, j], [rnd(2, 4, 5), idx([1], [3]), idx(0, 4, 2)])
    case(ff, "mask", lambda a, m: a[m], [rnd(3, 4, 2), torch.rand(3, 4, generator=_gen) > 0.5])
    case(ff, "mask_dim1", lambda a, m: a[:, m], [rnd(2, 5), torch.tensor([True, False, True, True, False])])
    case(ff, "slice_then_tensor", lambda a, i: a[1:, i, None], [rnd(3, 4), idx(3, 0, 3)])
    case(ff, "index_put", lambda a, v, i: torch.index_put(a, (i,), v), [rnd(5, 2), rnd(3, 2), idx(4, 0, -2)])
    case(ff, "index_put_acc", lambda a, v, i: torch.index_put(a, (i,), v, accumulate=True),
         [rnd(4, 3), rnd(3), idx(1, 1, 3)])
    case(ff, "index_put_two", lambda a, v, i, j: torch.index_put(a, (i, j), v, accumulate=True),
         [rnd(3, 4), rnd(4), idx(0, 2, 2, 0), idx(1, 3, 3, 1)])
    # gather / scatter.
    g0 = idx([2, 0, 1], [0, 0, 2])
    case(ff, "gather0", lambda a, i: a.gather(0, i), [rnd(3, 3), g0])
    case(ff, "gather1", lambda a, i: torch.gather(a, 1, i), [rnd(2, 4), idx([3, 3, 0], [1, 2, 1])])
    case(ff, "gather3d", lambda a, i: a.gather(-1, i), [rnd(2, 3, 4), torch.randint(0, 4, (2, 2, 5), generator=_gen)])
    case(ff, "scatter", lambda a, s, i: a.scatter(1, i, s), [rnd(3, 5), rnd(2, 4), idx([4, 0, 2, 1], [3, 1, 0, 2])])
    case(ff, "scatter_value", lambda a, i: a.scatter(0, i, 2.5), [rnd(3, 4), idx([2, 1, 0, 2])])
    case(ff, "scatter_add", lambda a, s, i: a.scatter_add(0, i, s), [rnd(3, 2), rnd(4, 2), idx([0, 1], [0, 1], [2, 1], [0, 0])])
    si = idx([0, 1, 0, 2, 1], [2, 2, 0, 0, 1])
    for reduce in ["sum", "prod", "mean", "amax", "amin"]:
        for inc in [True, False]:
            name = f"scatter_reduce_{reduce}_{'self' if inc else 'noself'}"
            case(ff, name, lambda a, s, i, r=reduce, inc=inc: a.scatter_reduce(1, i, s, r, include_self=inc),
                 [away(2, 4), away(2, 5), si])
    # index_add / index_copy / index_fill.
    case(ff, "index_add", lambda a, s, i: a.index_add(1, i, s, alpha=2.0), [rnd(2, 4), rnd(2, 3), idx(3, 0, 3)])
    case(ff, "index_copy", lambda a, s, i: a.index_copy(0, i, s), [rnd(4, 3), rnd(2, 3), idx(3, 1)])
    case(ff, "index_fill", lambda a, i: a.index_fill(1, i, -1.5), [rnd(3, 4), idx(0, -1)])
    case(ff, "index_fill_tensor", lambda a, v, i: a.index_fill(0, i, v), [rnd(3, 2), rnd(), idx(2)])
    # masked ops.
    m = torch.tensor([[True, False, True], [False, False, True]])
    case(ff, "masked_fill", lambda a, mk: a.masked_fill(mk, 0.75), [rnd(2, 3), m])
    case(ff, "masked_fill_bcast", lambda a, mk: a.masked_fill(mk, -2.0), [rnd(2, 3), torch.tensor([True, False, True])])
    case(ff, "masked_fill_tensor", lambda a, v, mk: a.masked_fill(mk, v), [rnd(2, 3), rnd(), m])
    case(ff, "masked_select", lambda a, mk: a.masked_select(mk), [rnd(2, 3), m])
    case(ff, "masked_select_bcast", lambda a, mk: torch.masked_select(a, mk), [rnd(3), m])
    case(ff, "masked_scatter", lambda a, s, mk: a.masked_scatter(mk, s), [rnd(2, 3), rnd(5), m])
    case(ff, "take", lambda a, i: a.take(i), [rnd(3, 4), idx([0, -1], [5, 11])])
    # Integer results (no gradients).
    x = torch.tensor([[0, 3, 0], [1, 0, 2]])
    case(ff, "nonzero", lambda a: a.nonzero(), [x], grad=False)
    case(ff, "nonzero_float", lambda a: torch.nonzero(a), [torch.tensor([[0.0, 1.5], [-2.0, 0.0]])], grad=False)
    case(ff, "gather_long", lambda a, i: a.gather(1, i), [x, idx([2, 1], [0, 0])], grad=False)
    case(ff, "scatter_add_long", lambda a, s, i: a.scatter_add(1, i, s), [x, idx([5, 6], [7, 8]), idx([0, 0], [2, 1])],
         grad=False)
    case(ff, "scatter_mean_long", lambda a, s, i: a.scatter_reduce(1, i, s, "mean"),
         [idx([1, 2, 3], [-4, 5, 6]), idx([3, 4], [-7, 8]), idx([0, 0], [0, 2])], grad=False)
    case(ff, "scatter_mean_long_noself", lambda a, s, i: a.scatter_reduce(1, i, s, "mean", include_self=False),
         [idx([1, 2, 3], [-4, 5, 6]), idx([-3, -4], [-7, 8]), idx([0, 0], [0, 0])], grad=False)
    case(ff, "index_long", lambda a, i: a[i], [x, idx(1, 0, 1)], grad=False)
    case(ff, "masked_select_bool", lambda a, mk: a.masked_select(mk), [m, torch.tensor([True, True, False])],
         grad=False)
    print("wrote", os.path.normpath(ff.write(outdir)))


if __name__ == "__main__":
    main()
