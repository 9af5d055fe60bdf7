#!/usr/bin/env python3
"""Writes tests/fixtures/optim.txt: PyTorch's torch.optim.SGD, Adam, AdamW, RMSprop and Adagrad trajectories that
tests/test_optim.cpp replays with ember's optim::SGD, Adam, AdamW, RMSprop and Adagrad.

Regenerate (from the repository root) with Debian's PyTorch 1.13:

    /usr/bin/python3 tools/gen_optim_fixtures.py            # writes tests/fixtures/optim.txt
    /usr/bin/python3 tools/gen_optim_fixtures.py OUTDIR     # writes OUTDIR/optim.txt

The problem: a tiny linear regression, loss = mean((X @ W.t() + b - Y) ** 2), all in float64,
with a third parameter z that the loss never uses (its grad stays None: the optimizer must skip it).
Adam and AdamW run their single-tensor path (foreach=False), the one ember follows.
Each config runs STEPS steps of `opt.zero_grad(); loss = closure(); opt.step()` (the loss is
computed inside step's closure, as in ember's test) and stores:

    optim.X, optim.Y, optim.W, optim.b, optim.z      the data and the initial parameters
    <config>.loss                                     the loss returned by each step
    <config>.W.<k>, <config>.b.<k>, <config>.z.<k>    the parameters after step k (1..STEPS)

The initial values are float32 numbers (stored as float32, exactly), so the test can replay
the same trajectory in float32 too. The file format is tests/helpers.h's (see
tools/gen_fixtures.py): one tensor per line, `<name> <dtype> <ndim> <sizes> : <values>`.
"""
import os
import sys

import torch

from gen_fixtures import FixtureFile  # same folder: the one writer of the fixture format

STEPS = 5

# name -> (defaults, groups[, optimizer class]); groups is None for one group of every parameter,
# else a list of (parameter names, options that override the defaults). The class is SGD unless given.
CONFIGS = {
    "plain": (dict(lr=0.1), None),
    "momentum": (dict(lr=0.1, momentum=0.9), None),
    "dampening": (dict(lr=0.1, momentum=0.9, dampening=0.3), None),
    "weight_decay": (dict(lr=0.1, weight_decay=0.05), None),
    "momentum_wd": (dict(lr=0.1, momentum=0.8, dampening=0.1, weight_decay=0.05), None),
    "nesterov": (dict(lr=0.1, momentum=0.9, nesterov=True), None),
    "nesterov_wd": (dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.02), None),
    "groups": (dict(lr=0.1, momentum=0.5),
               [(["W", "z"], {}), (["b"], dict(lr=0.02, momentum=0.9, nesterov=True, weight_decay=0.1))]),
    "adam_plain": (dict(lr=0.05), None, torch.optim.Adam),
    "adam_weight_decay": (dict(lr=0.05, weight_decay=0.1), None, torch.optim.Adam),
    "adam_amsgrad": (dict(lr=0.05, betas=(0.8, 0.9), eps=1e-6, amsgrad=True), None, torch.optim.Adam),
    "adam_amsgrad_wd": (dict(lr=0.05, betas=(0.5, 0.6), weight_decay=0.2, amsgrad=True), None, torch.optim.Adam),
    "adamw_default": (dict(lr=0.05), None, torch.optim.AdamW),
    "adamw_amsgrad": (dict(lr=0.05, betas=(0.5, 0.6), weight_decay=0.2, amsgrad=True), None, torch.optim.AdamW),
    "adam_groups": (dict(lr=0.05),
                    [(["W", "z"], {}), (["b"], dict(lr=0.02, betas=(0.5, 0.8), weight_decay=0.1, amsgrad=True))],
                    torch.optim.Adam),
    "adamw_groups": (dict(lr=0.05, weight_decay=0.3),
                     [(["W", "z"], {}), (["b"], dict(lr=0.02, betas=(0.5, 0.8), eps=1e-4, amsgrad=True))],
                     torch.optim.AdamW),
    "rmsprop_plain": (dict(lr=0.01), None, torch.optim.RMSprop),
    "rmsprop_centered_momentum": (dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1, momentum=0.5, centered=True),
                                  None, torch.optim.RMSprop),
    "rmsprop_groups": (dict(lr=0.01, momentum=0.9),
                       [(["W", "z"], {}), (["b"], dict(lr=0.02, centered=True, weight_decay=0.05))],
                       torch.optim.RMSprop),
    "adagrad_plain": (dict(lr=0.1), None, torch.optim.Adagrad),
    "adagrad_decay": (dict(lr=0.1, lr_decay=0.1, weight_decay=0.05, initial_accumulator_value=0.5, eps=1e-6), None,
                      torch.optim.Adagrad),
    "adagrad_groups": (dict(lr=0.1),
                       [(["W", "z"], {}), (["b"], dict(lr=0.05, lr_decay=0.2, initial_accumulator_value=0.1))],
                       torch.optim.Adagrad),
}


def main():
    outdir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures")
    gen = torch.Generator().manual_seed(2024)

    def f32(*shape):
        return torch.randn(shape, generator=gen, dtype=torch.float32)

    X, Y, W0, b0, z0 = f32(8, 4), f32(8, 3), f32(3, 4), f32(3), f32(2)
    ff = FixtureFile("optim", kind="optimizer", writer="tools/gen_optim_fixtures.py")
    for name, t in [("X", X), ("Y", Y), ("W", W0), ("b", b0), ("z", z0)]:
        ff.add("optim." + name, t)

    for cname, config in CONFIGS.items():
        defaults, groups = config[:2]
        cls = config[2] if len(config) > 2 else torch.optim.SGD
        if cls is not torch.optim.SGD:
            defaults = dict(defaults, foreach=False)
        params = {n: t.double().clone().requires_grad_(True) for n, t in [("W", W0), ("b", b0), ("z", z0)]}
        x, y = X.double(), Y.double()
        if groups is None:
            opt = cls([params["W"], params["b"], params["z"]], **defaults)
        else:
            opt = cls([dict(params=[params[n] for n in names], **over) for names, over in groups],
                                  **defaults)

        def closure():
            opt.zero_grad()
            loss = ((x @ params["W"].t() + params["b"] - y) ** 2).mean()
            loss.backward()
            return loss

        losses = []
        for k in range(1, STEPS + 1):
            losses.append(opt.step(closure).item())
            assert params["z"].grad is None
            for n in ("W", "b", "z"):
                ff.add(f"{cname}.{n}.{k}", params[n])
        ff.add(f"{cname}.loss", torch.tensor(losses, dtype=torch.float64))

    path = ff.write(outdir)
    print("wrote", os.path.normpath(path))


if __name__ == "__main__":
    main()
