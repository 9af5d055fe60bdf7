#!/usr/bin/env python3
"""Writes tests/fixtures/tensorapi.txt: PyTorch 1.13's values (float64) for the Tensor
conveniences in tests/test_tensorapi.cpp (pointwise, structure, reductions, products,
factories). A case NAME stores its inputs NAME.in0, NAME.in1, ..., its output NAME.out and, for
a differentiable one, the upstream gradient NAME.gout and the input gradients NAME.grad0, ...
(the layout tests/helpers.h's check_case reads).

usage: /usr/bin/python3 tools/gen_tensorapi_fixtures.py [OUTDIR]   (default tests/fixtures)
"""
import math
import os
import sys

import torch

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

gen = torch.Generator().manual_seed(12)
ff = FixtureFile("tensorapi", writer="tools/gen_tensorapi_fixtures.py")


def randn(*shape, scale=1.0, shift=0.0):
    return torch.randn(shape, generator=gen, dtype=torch.float64) * scale + shift


def away_from_zero(*shape):
    """Values with |x| in [0.5, 2.5]: safe divisors and logs."""
    x = torch.rand(shape, generator=gen, dtype=torch.float64) * 2 + 0.5
    sign = torch.randint(0, 2, shape, generator=gen).to(torch.float64) * 2 - 1
    return x * sign


def case(name, fn, *inputs, grad=True):
    ins = [t.clone().requires_grad_(grad and t.is_floating_point()) for t in inputs]
    out = fn(*ins)
    for i, t in enumerate(inputs):
        ff.add(f"{name}.in{i}", t)
    ff.add(f"{name}.out", out)
    if grad and out.is_floating_point():
        g = randn(*out.shape)
        ff.add(f"{name}.gout", g)
        grads = torch.autograd.grad(out, [t for t in ins if t.requires_grad], g, allow_unused=True)
        k = 0
        for i, t in enumerate(ins):
            if not t.requires_grad:
                continue
            gi = grads[k]
            k += 1
            ff.add(f"{name}.grad{i}", torch.zeros_like(t) if gi is None else gi)


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")

    # --- pointwise -------------------------------------------------------------------------------
    x = randn(3, 4, scale=3)
    for op in ["floor", "ceil", "round", "trunc", "frac", "sin", "cos", "exp2", "sign", "square"]:
        case(op, getattr(torch, op), x)
    pos = torch.rand((3, 4), generator=gen, dtype=torch.float64) * 3 + 0.2
    for op in ["rsqrt", "log2", "log10"]:
        case(op, getattr(torch, op), pos)
    case("reciprocal", torch.reciprocal, away_from_zero(3, 4))
    case("round_half", torch.round, torch.tensor([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 3.5, 0.49999999999999994]),
         grad=False)
    a, b = randn(3, 4, scale=4), away_from_zero(4)
    case("fmod", torch.fmod, a, b)
    case("remainder", torch.remainder, a, b)
    case("fmod_scalar", lambda t: torch.fmod(t, -1.5), a)
    case("remainder_scalar", lambda t: torch.remainder(t, -1.5), a)
    ia = torch.tensor([-7, -3, 0, 3, 7, 9])
    ib = torch.tensor([2, -2, 3, -4, -3, 4])
    case("fmod_int", torch.fmod, ia, ib)
    case("remainder_int", torch.remainder, ia, ib)
    special = torch.tensor([1.0, float("nan"), float("inf"), -float("inf"), -2.0, 0.0], dtype=torch.float64)
    case("isnan", torch.isnan, special, grad=False)
    case("isinf", torch.isinf, special, grad=False)
    case("isfinite", torch.isfinite, special, grad=False)
    case("nan_to_num", torch.nan_to_num, special, grad=False)
    case("nan_to_num_args", lambda t: torch.nan_to_num(t, 1.5, 100.0, -100.0), special, grad=False)
    s, e, w = randn(3, 4), randn(3, 4), torch.rand((3, 4), generator=gen, dtype=torch.float64)
    case("lerp_scalar", lambda p, q: torch.lerp(p, q, 0.3), s, e)
    case("lerp_scalar_high", lambda p, q: torch.lerp(p, q, 0.8), s, e)
    case("lerp_tensor", torch.lerp, s, e, w)
    lo, hi = randn(4, scale=0.5, shift=-0.5), randn(3, 1, scale=0.5, shift=0.7)
    case("clamp_tensor", lambda t, l, h: torch.clamp(t, l, h), randn(3, 4), lo, hi)
    case("clamp_tensor_min", lambda t, l: torch.clamp(t, min=l), randn(3, 4), lo)
    la = torch.tensor([0.0, 1.0, -2.0, 0.0, float("nan")])
    lb = torch.tensor([0.0, 0.0, 3.0, 5.0, 0.0])
    for op in ["logical_and", "logical_or", "logical_xor"]:
        case(op, getattr(torch, op), la, lb, grad=False)
    case("logical_not", torch.logical_not, la, grad=False)
    ba, bb = torch.tensor([12, -5, 0, 255, 7]), torch.tensor([10, 3, -1, 15, -8])
    for op in ["bitwise_and", "bitwise_or", "bitwise_xor"]:
        case(op, getattr(torch, op), ba, bb)
        case(op + "_bool", getattr(torch, op), ba > 3, bb > 0)
    case("bitwise_not", torch.bitwise_not, ba)
    case("isclose", lambda p, q: torch.isclose(p, q, rtol=1e-3, atol=1e-4),
         torch.tensor([1.0, 2.0, float("inf"), float("nan"), 1e-5, 100.0]),
         torch.tensor([1.0005, 2.1, float("inf"), float("nan"), 0.0, 100.2]), grad=False)

    # --- structure -------------------------------------------------------------------------------
    t = randn(2, 3, 4)
    case("flip", lambda v: torch.flip(v, [0, 2]), t)
    case("roll", lambda v: torch.roll(v, [1, -5], [2, 1]), t)
    case("roll_flat", lambda v: torch.roll(v, 5), t)
    case("rot90", lambda v: torch.rot90(v, 1, [1, 2]), t)
    case("rot90_neg", lambda v: torch.rot90(v, -1, [2, 0]), t)
    case("rot90_two", lambda v: torch.rot90(v, 2, [0, 1]), t)
    m = randn(2, 3)
    case("repeat", lambda v: v.repeat(2, 1, 3), m)
    case("tile", lambda v: torch.tile(v, (2,)), m)
    case("repeat_interleave", lambda v: torch.repeat_interleave(v, 2, dim=1), m)
    case("repeat_interleave_flat", lambda v: torch.repeat_interleave(v, 3), m)
    case("repeat_interleave_tensor", lambda v, r: torch.repeat_interleave(v, r, dim=0), randn(3, 2),
         torch.tensor([2, 0, 3]))
    ff.add("repeat_interleave_index.in0", torch.tensor([1, 3, 0, 2]))
    ff.add("repeat_interleave_index.out", torch.repeat_interleave(torch.tensor([1, 3, 0, 2])))
    c = randn(7, 2)
    case("chunk", lambda v: torch.cat([p * (i + 1) for i, p in enumerate(torch.chunk(v, 3))]), c)
    case("split", lambda v: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(v, 3))]), c)
    case("split_sizes", lambda v: torch.cat([p * (i + 1) for i, p in enumerate(torch.split(v, [1, 4, 2]))]), c)
    case("unbind", lambda v: torch.cat([p * (i + 1) for i, p in enumerate(torch.unbind(v, 1))]), c)
    case("meshgrid_ij", lambda p, q: torch.stack(torch.meshgrid(p, q, indexing="ij")), randn(3), randn(4))
    case("meshgrid_xy", lambda p, q, r: torch.stack(torch.meshgrid(p, q, r, indexing="xy")), randn(3), randn(4),
         randn(2))
    case("tril", lambda v: torch.tril(v, -1), t)
    case("triu", lambda v: torch.triu(v, 1), t)
    case("tril_wide", lambda v: torch.tril(v, 2), randn(3, 6))
    v = randn(3)
    case("diag_vec", torch.diag, v)
    case("diag_vec_up", lambda p: torch.diag(p, 2), v)
    case("diag_vec_down", lambda p: torch.diag(p, -1), v)
    mat = randn(3, 4)
    case("diag_mat", torch.diag, mat)
    case("diag_mat_up", lambda p: torch.diag(p, 1), mat)
    case("diag_mat_down", lambda p: torch.diag(p, -2), mat)
    case("outer", torch.outer, randn(3), randn(4))

    # --- reductions ------------------------------------------------------------------------------
    r = randn(3, 4, 5)
    case("norm", lambda p: torch.norm(p), r)
    case("norm_p1", lambda p: torch.norm(p, 1, [1]), r)
    case("norm_inf", lambda p: torch.norm(p, float("inf"), [0, 2]), r)
    case("norm_neg_inf", lambda p: torch.norm(p, -float("inf"), [2], keepdim=True), r)
    case("norm_p0", lambda p: torch.norm(p, 0, [1]), r)
    case("norm_p3", lambda p: torch.norm(p, 3, [1, 2], keepdim=True), r)
    case("norm_p1_5", lambda p: torch.norm(p, 1.5, [1]), r)
    case("norm_p0_5", lambda p: torch.norm(p, 0.5, [2]), r)
    z = randn(3, 4)
    z[1, 2] = 0.0
    case("prod", torch.prod, z)
    case("prod_dim", lambda p: torch.prod(p, 1), z)
    case("prod_keepdim", lambda p: torch.prod(p, 0, keepdim=True), z)
    case("cumsum", lambda p: torch.cumsum(p, 1), randn(3, 7))
    case("cumsum_dim0", lambda p: torch.cumsum(p, 0), randn(5, 2))
    case("cumprod", lambda p: torch.cumprod(p, 1), z)
    case("cumprod_dim0", lambda p: torch.cumprod(p, 0), randn(6, 2, scale=0.8, shift=0.6))
    ff.add("cumsum_int.in0", torch.tensor([[1, -2, 3], [4, 5, -6]]))
    ff.add("cumsum_int.out", torch.cumsum(torch.tensor([[1, -2, 3], [4, 5, -6]]), 1))
    ff.add("prod_int.out", torch.prod(torch.tensor([[1, -2, 3], [4, 5, -6]]), 0))
    case("std", lambda p: torch.std(p), r)
    case("std_dim", lambda p: torch.std(p, [1], unbiased=False, keepdim=True), r)
    case("var", lambda p: torch.var(p), r)
    case("var_dims", lambda p: torch.var(p, [0, 2]), r)
    case("var_correction", lambda p: torch.var(p, [2], correction=2), r)
    case("logsumexp", lambda p: torch.logsumexp(p, [1]), r * 10)
    case("logsumexp_keepdim", lambda p: torch.logsumexp(p, [0, 2], keepdim=True), r)
    ab = torch.tensor([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 4.0, 5.0]])
    case("all", torch.all, ab, grad=False)
    case("all_dim", lambda p: torch.all(p, 1), ab, grad=False)
    case("any_dim", lambda p: torch.any(p, 0), ab, grad=False)
    case("any_keepdim", lambda p: torch.any(p, 1, keepdim=True), ab, grad=False)

    # --- products --------------------------------------------------------------------------------
    case("addmm", lambda s_, p, q: torch.addmm(s_, p, q, beta=0.5, alpha=2.0), randn(3), randn(2, 4), randn(4, 3))
    case("addmv", lambda s_, p, q: torch.addmv(s_, p, q, beta=-1.0, alpha=0.5), randn(2), randn(2, 4), randn(4))
    case("baddbmm", lambda s_, p, q: torch.baddbmm(s_, p, q, beta=2.0, alpha=-1.0), randn(2, 3, 1), randn(2, 3, 4),
         randn(2, 4, 5))
    case("bmm", torch.bmm, randn(2, 3, 4), randn(2, 4, 5))
    case("mv", torch.mv, randn(3, 4), randn(4))
    case("dot", torch.dot, randn(5), randn(5))
    case("einsum_mm", lambda p, q: torch.einsum("ij,jk->ik", p, q), randn(2, 3), randn(3, 4))
    case("einsum_bmm", lambda p, q: torch.einsum("bij,bjk->bik", p, q), randn(2, 2, 3), randn(2, 3, 4))
    case("einsum_dot", lambda p, q: torch.einsum("i,i->", p, q), randn(5), randn(5))
    case("einsum_t", lambda p: torch.einsum("ij->ji", p), randn(2, 3))
    case("einsum_attn", lambda p, q: torch.einsum("bhid,bhjd->bhij", p, q), randn(2, 2, 3, 4), randn(2, 2, 5, 4))
    case("einsum_implicit", lambda p, q: torch.einsum("ij,jk", p, q), randn(2, 3), randn(3, 4))
    case("einsum_outer", lambda p, q: torch.einsum("i,j->ij", p, q), randn(3), randn(2))
    case("einsum_sum", lambda p: torch.einsum("ijk->j", p), randn(2, 3, 4))
    case("einsum_three", lambda p, q, w_: torch.einsum("ij,jk,kl->il", p, q, w_), randn(2, 3), randn(3, 4),
         randn(4, 2))
    case("einsum_bilinear", lambda p, q, w_: torch.einsum("bn,anm,bm->ba", p, q, w_), randn(2, 3), randn(4, 3, 5),
         randn(2, 5))

    # --- factories -------------------------------------------------------------------------------
    ff.add("linspace_f32", torch.linspace(-1.3, 2.9, 11))
    ff.add("linspace_f64", torch.linspace(-1.3, 2.9, 11, dtype=torch.float64))
    ff.add("linspace_one", torch.linspace(3.0, 5.0, 1))
    ff.add("linspace_int", torch.linspace(0, 10, 4, dtype=torch.int64))
    ff.add("logspace", torch.logspace(-2.0, 3.0, 6, dtype=torch.float64))
    ff.add("logspace_base2", torch.logspace(0.0, 4.0, 5, base=2.0, dtype=torch.float64))
    ff.add("arange_int", torch.arange(2, 11, 3))
    ff.add("arange_float", torch.arange(0.0, 1.0, 0.3))

    print("wrote", os.path.normpath(ff.write(outdir)))


if __name__ == "__main__":
    main()
