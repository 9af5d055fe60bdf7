#!/usr/bin/env python3
"""Writes tests/fixtures/sort.txt: PyTorch 1.13's results for sorting and selection (sort,
argsort, msort, topk, kthvalue, median, nanmedian, mode), unique (_unique2, unique_dim,
unique_consecutive) and binary search (searchsorted, bucketize), read by tests/test_sort.cpp.
Inputs are float64 with ties and NaNs; integer-valued ones are also run by the tests in the
integer dtypes. A case NAME stores NAME.in, its outputs (NAME.values, NAME.indices, ...) and,
for the differentiable ones, an upstream gradient NAME.gout and the input gradient NAME.grad.

usage: /usr/bin/python3 tools/gen_sort_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import os
import sys

import torch

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

gen = torch.Generator().manual_seed(2026)
ff = FixtureFile("sort", writer="tools/gen_sort_fixtures.py")
nan = float("nan")


def ints(*shape, high=5):
    """Small integers (many ties), as float64."""
    return torch.randint(0, high, shape, generator=gen).double()


def distinct(*shape):
    """Distinct values (no ties): gradients are unambiguous."""
    n = 1
    for s in shape:
        n *= s
    return (torch.randperm(n, generator=gen).double() * 0.37 - 3).reshape(shape)


def with_nans(x, every=5):
    flat = x.clone().reshape(-1)
    flat[::every] = nan
    return flat.reshape(x.shape)


def pair(name, x, fn, grad=False):
    """Stores fn(x)'s (values, indices) and, with grad, the gradient of values."""
    xi = x.clone().requires_grad_(grad)
    v, i = fn(xi)
    ff.add(f"{name}.in", x)
    ff.add(f"{name}.values", v)
    ff.add(f"{name}.indices", i)
    if grad:
        g = torch.randn(v.shape, generator=gen, dtype=torch.float64)
        (gx,) = torch.autograd.grad(v, xi, g)
        ff.add(f"{name}.gout", g)
        ff.add(f"{name}.grad", gx)


def single(name, x, fn):
    ff.add(f"{name}.in", x)
    ff.add(f"{name}.out", fn(x))


# --- sort ---------------------------------------------------------------------------------------
t = ints(4, 7)
pair("sort_ties", t, lambda x: x.sort())
pair("sort_ties_desc", t, lambda x: x.sort(descending=True))
pair("sort_ties_dim0", t, lambda x: x.sort(0))
pair("sort_ties_dim0_desc", t, lambda x: torch.sort(x, stable=True, dim=0, descending=True))
tn = with_nans(distinct(3, 5, 4), 3)
pair("sort_nan_dim1", tn, lambda x: x.sort(1))
pair("sort_nan_dim1_desc", tn, lambda x: x.sort(1, descending=True))
long_row = ints(3000, high=50)  # long enough for the CPU radix sort
long_row[::97] = nan
long_row[5] = -0.0
long_row[6] = 0.0
# stable=True: PyTorch's default sort of a long row does not keep ties in order (ember's does).
pair("sort_long", long_row, lambda x: torch.sort(x, stable=True))
pair("sort_long_desc", long_row, lambda x: torch.sort(x, stable=True, descending=True))
pair("sort_grad", distinct(3, 4), lambda x: x.sort(0, descending=True), grad=True)
single("argsort", t, lambda x: x.argsort(dim=0, descending=True))
single("msort", t, lambda x: x.msort())

# --- topk ----------------------------------------------------------------------------------------
tk = ints(3, 8, high=6)
pair("topk", tk, lambda x: x.topk(3))
pair("topk_smallest_dim0", tk, lambda x: x.topk(2, dim=0, largest=False))
pair("topk_k0", tk, lambda x: x.topk(0))
pair("topk_kn", tk, lambda x: x.topk(8))
pair("topk_nan", with_nans(distinct(2, 9), 4), lambda x: x.topk(4))
pair("topk_nan_smallest", with_nans(distinct(2, 9), 4), lambda x: x.topk(4, largest=False))
pair("topk_grad", distinct(4, 5), lambda x: x.topk(2, dim=0), grad=True)

# --- kthvalue, median, nanmedian, mode -----------------------------------------------------------
kv = distinct(5, 6)
pair("kthvalue", kv, lambda x: x.kthvalue(2, 1), grad=True)
pair("kthvalue_dim0_keepdim", kv, lambda x: x.kthvalue(5, 0, True), grad=True)
pair("kthvalue_nan", with_nans(distinct(3, 5), 4), lambda x: x.kthvalue(5))
pair("median_dim", distinct(4, 6), lambda x: x.median(1), grad=True)  # even count: the lower one
pair("median_dim0_keepdim", distinct(5, 3), lambda x: x.median(0, True), grad=True)
mn = with_nans(distinct(4, 5), 3)
pair("median_nan", mn, lambda x: x.median(1))
pair("nanmedian_nan", mn, lambda x: x.nanmedian(1))
pair("nanmedian_allnan", torch.tensor([[nan, nan], [1.0, nan]], dtype=torch.float64), lambda x: x.nanmedian(1))
single("median_all", distinct(3, 4), lambda x: x.median())
single("median_all_nan", mn, lambda x: x.median())
single("nanmedian_all", mn, lambda x: x.nanmedian())
mg = torch.tensor([[1.0, 3.0, 2.0, 3.0], [0.5, 0.5, 0.5, 4.0]], dtype=torch.float64)
xi = mg.clone().requires_grad_(True)
gm = torch.autograd.grad(xi.median(), xi)[0]  # ties: the gradient is shared
ff.add("median_all_grad.in", mg)
ff.add("median_all_grad.grad", gm)
# mode: indices are not guaranteed by LibTorch; the test checks x[indices] == values.
md = ints(4, 9, high=4)
pair("mode", md, lambda x: x.mode())
pair("mode_dim0_keepdim", md, lambda x: x.mode(0, True))

# --- unique -------------------------------------------------------------------------------------
u = ints(3, 5, high=6)
v, inv, cnt = torch._unique2(u, True, True, True)
ff.add("unique.in", u)
ff.add("unique.values", v)
ff.add("unique.inverse", inv)
ff.add("unique.counts", cnt)
ud = torch.tensor([[1, 2, 1, 2], [0, 3, 0, 1], [1, 2, 1, 2], [0, 3, 0, 1.0]], dtype=torch.float64)
for d in (0, 1):
    v, inv, cnt = torch.ops.aten.unique_dim(ud, d, True, True, True)
    ff.add(f"unique_dim{d}.values", v)
    ff.add(f"unique_dim{d}.inverse", inv)
    ff.add(f"unique_dim{d}.counts", cnt)
ff.add("unique_dim.in", ud)
uc = torch.tensor([1, 1, 2, 2, 3, 1, 1, 2], dtype=torch.float64)
v, inv, cnt = torch.ops.aten.unique_consecutive(uc, True, True)
ff.add("unique_consecutive.in", uc)
ff.add("unique_consecutive.values", v)
ff.add("unique_consecutive.inverse", inv)
ff.add("unique_consecutive.counts", cnt)
v, inv, cnt = torch.ops.aten.unique_consecutive(ud, True, True, 0)
ff.add("unique_consecutive_dim0.values", v)
ff.add("unique_consecutive_dim0.inverse", inv)
ff.add("unique_consecutive_dim0.counts", cnt)

# --- searchsorted, bucketize ----------------------------------------------------------------------
seq = torch.tensor([1, 3, 3, 5, 7, 9], dtype=torch.float64)
vals = torch.tensor([[0, 3, 6], [9, 10, 3.5]], dtype=torch.float64)
ff.add("search.seq", seq)
ff.add("search.values", vals)
ff.add("search.left", torch.searchsorted(seq, vals))
ff.add("search.right", torch.searchsorted(seq, vals, right=True))
seq2 = torch.tensor([[1, 3, 5, 7], [2, 4, 6, 8]], dtype=torch.float64)
vals2 = torch.tensor([[3, 6, 9], [1, 4, 8]], dtype=torch.float64)
ff.add("search2.seq", seq2)
ff.add("search2.values", vals2)
ff.add("search2.left", torch.searchsorted(seq2, vals2))
ff.add("search2.right", torch.searchsorted(seq2, vals2, side="right"))
unsorted = torch.tensor([5, 1, 9, 3, 7], dtype=torch.float64)
sorter = unsorted.argsort()
ff.add("search_sorter.seq", unsorted)
ff.add("search_sorter.sorter", sorter)
ff.add("search_sorter.out", torch.searchsorted(unsorted, vals, sorter=sorter))
ff.add("bucketize.out", torch.bucketize(vals, seq))
ff.add("bucketize.right", torch.bucketize(vals, seq, right=True))

outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
print(ff.write(outdir))
