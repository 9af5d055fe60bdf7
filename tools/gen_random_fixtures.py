#!/usr/bin/env python3
"""PyTorch 1.13 CPU draws for tests/test_random_ops.cpp: the random samplers after
torch.manual_seed, so the tests can demand ember's CPU values bit for bit.

    /usr/bin/python3 tools/gen_random_fixtures.py          # writes tests/fixtures/random_ops.txt

Each case seeds, runs one call and stores the result (and its inputs when they are tensors);
the test replays the same call after the same seed. The format is tools/gen_fixtures.py's.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_fixtures import FixtureFile  # noqa: E402

DTYPES = ((torch.float32, "f32"), (torch.float64, "f64"))


def seeded(seed, fn):
    torch.manual_seed(seed)
    return fn()


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    ff = FixtureFile("random_ops", writer="tools/gen_random_fixtures.py")
    for dt, tag in DTYPES:
        # random_: the full range, [0, to), [from, to), a range needing 64 bits, [from, 2^digits].
        ff.add(f"random_full_{tag}", seeded(1, lambda: torch.empty(7, dtype=dt).random_()))
        ff.add(f"random_to_{tag}", seeded(2, lambda: torch.empty(7, dtype=dt).random_(10)))
        ff.add(f"random_from_to_{tag}", seeded(3, lambda: torch.empty(7, dtype=dt).random_(-5, 5)))
        ff.add(f"random_wide_{tag}", seeded(4, lambda: torch.empty(7, dtype=dt).random_(0, 2**40)))
        ff.add(f"random_from_{tag}", seeded(5, lambda: torch.empty(7, dtype=dt).random_(100, None)))
        # One-draw samplers, contiguous and transposed (memory order).
        ff.add(f"exponential_{tag}", seeded(6, lambda: torch.empty(20, dtype=dt).exponential_(2.5)))
        ff.add(f"exponential_default_{tag}", seeded(6, lambda: torch.empty(3, 4, dtype=dt).exponential_()))
        ff.add(f"geometric_{tag}", seeded(7, lambda: torch.empty(20, dtype=dt).geometric_(0.3)))
        ff.add(f"log_normal_{tag}", seeded(8, lambda: torch.empty(21, dtype=dt).log_normal_(0.5, 0.75)))
        ff.add(f"log_normal_default_{tag}", seeded(8, lambda: torch.empty(5, dtype=dt).log_normal_()))
        ff.add(f"cauchy_{tag}", seeded(9, lambda: torch.empty(20, dtype=dt).cauchy_(1.5, 2.0)))
        ff.add(f"cauchy_t_{tag}", seeded(10, lambda: torch.empty(5, 4, dtype=dt).t().cauchy_()))
        ff.add(f"bernoulli_scalar_{tag}", seeded(11, lambda: torch.empty(30, dtype=dt).bernoulli_(0.3)))
        ff.add(f"bernoulli_default_{tag}", seeded(11, lambda: torch.empty(2, 5, dtype=dt).bernoulli_()))
        # bernoulli with tensor probabilities: the float32 path draws one word, float64 two.
        p = torch.linspace(0, 1, 24, dtype=dt).reshape(4, 6)
        ff.add(f"bernoulli_p_{tag}", p)
        ff.add(f"bernoulli_{tag}", seeded(12, lambda: torch.bernoulli(p)))
        ff.add(f"bernoulli_t_{tag}", seeded(13, lambda: torch.empty(6, 4, dtype=torch.float64).t().bernoulli_(p)))
        row = torch.tensor([0.1, 0.5, 0.9, 0.25, 0.75, 0.6], dtype=dt)
        ff.add(f"bernoulli_row_{tag}", row)
        ff.add(f"bernoulli_bcast_{tag}", seeded(14, lambda: torch.empty(3, 6, dtype=dt).bernoulli_(row)))
        # multinomial: unnormalised weights, zeros among them, both paths, 1-D and 2-D.
        w1 = torch.tensor([0.5, 2.0, 0.0, 1.0, 3.0, 0.25, 1.5, 0.0, 4.0, 0.75], dtype=dt)
        w2 = torch.tensor([[1, 2, 3, 4, 5, 6, 7, 8], [8, 0, 6, 0, 4, 0, 2, 1], [0.1, 0.1, 5, 0.1, 0.1, 0.1, 0.1, 3]],
                          dtype=dt)
        ff.add(f"mn_w1_{tag}", w1)
        ff.add(f"mn_w2_{tag}", w2)
        ff.add(f"mn_1d_norep4_{tag}", seeded(15, lambda: torch.multinomial(w1, 4)))
        ff.add(f"mn_1d_one_{tag}", seeded(16, lambda: torch.multinomial(w1, 1)))
        ff.add(f"mn_1d_one_rep_{tag}", seeded(16, lambda: torch.multinomial(w1, 1, True)))
        ff.add(f"mn_1d_rep12_{tag}", seeded(17, lambda: torch.multinomial(w1, 12, True)))
        ff.add(f"mn_2d_norep4_{tag}", seeded(18, lambda: torch.multinomial(w2, 4)))
        ff.add(f"mn_2d_rep6_{tag}", seeded(19, lambda: torch.multinomial(w2, 6, True)))
        wl = torch.rand(2, 300, dtype=dt, generator=torch.Generator().manual_seed(99))
        ff.add(f"mn_wl_{tag}", wl)
        ff.add(f"mn_large_norep20_{tag}", seeded(20, lambda: torch.multinomial(wl, 20)))
        ff.add(f"mn_large_norep250_{tag}", seeded(21, lambda: torch.multinomial(wl, 250)))
        ff.add(f"mn_large_rep100_{tag}", seeded(22, lambda: torch.multinomial(wl, 100, True)))
        # normal with tensor arguments (block Box-Muller from 16 values, serial below).
        mean = torch.linspace(-2, 2, 20, dtype=dt)
        std = torch.linspace(0.5, 3, 20, dtype=dt)
        ff.add(f"normal_mean_{tag}", mean)
        ff.add(f"normal_std_{tag}", std)
        ff.add(f"normal_tensor_double_{tag}", seeded(23, lambda: torch.normal(mean, 0.5)))
        ff.add(f"normal_tensor_double_small_{tag}", seeded(23, lambda: torch.normal(mean[:5], 0.5)))
        ff.add(f"normal_double_tensor_{tag}", seeded(24, lambda: torch.normal(1.5, std)))
        ff.add(f"normal_tensor_tensor_{tag}", seeded(25, lambda: torch.normal(mean, std)))
        ff.add(f"normal_bcast_{tag}",
               seeded(26, lambda: torch.normal(mean[:4].reshape(4, 1), std[:5])))
        ff.add(f"normal_size_{tag}", seeded(27, lambda: torch.normal(2.0, 3.0, (17,), dtype=dt)))
        ff.add(f"randint_like_{tag}", seeded(28, lambda: torch.randint_like(torch.empty(9, dtype=dt), 10)))
        ff.add(f"randint_like_low_{tag}", seeded(29, lambda: torch.randint_like(torch.empty(9, dtype=dt), -4, 4)))
    # Integer and bool tensors.
    ff.add("random_full_i64", seeded(30, lambda: torch.empty(6, dtype=torch.int64).random_()))
    ff.add("random_wide_i64", seeded(31, lambda: torch.empty(6, dtype=torch.int64).random_(-3, 2**40)))
    ff.add("random_from_i64", seeded(32, lambda: torch.empty(6, dtype=torch.int64).random_(7, None)))
    ff.add("random_full_bool", seeded(33, lambda: torch.empty(9, dtype=torch.bool).random_()))
    ff.add("random_int32", seeded(34, lambda: torch.empty(6, dtype=torch.int32).random_().long()))
    ff.add("geometric_i64", seeded(35, lambda: torch.empty(8, dtype=torch.int64).geometric_(0.2)))
    ff.add("bernoulli_i64", seeded(36, lambda: torch.empty(8, dtype=torch.int64).bernoulli_(0.5)))
    ff.add("bernoulli_bool", seeded(37, lambda: torch.empty(8, dtype=torch.bool).bernoulli_(0.5)))
    print(ff.write(outdir))


if __name__ == "__main__":
    main()
