#!/usr/bin/env python3
"""Writes tests/fixtures/optim.txt: PyTorch's torch.optim.SGD, Adam, AdamW, RMSprop and Adagrad trajectories that
tests/test_optim.cpp replays with ember's optim::SGD, Adam, AdamW, RMSprop and Adagrad; and beside it lbfgs.txt
(torch.optim.LBFGS, see write_lbfgs) and lr_scheduler.txt (torch.optim.lr_scheduler, see write_lr_schedulers).

Regenerate (from the repository root) with Debian's PyTorch 1.13:

    /usr/bin/python3 tools/gen_optim_fixtures.py            # writes tests/fixtures/{optim,lbfgs,lr_scheduler}.txt
    /usr/bin/python3 tools/gen_optim_fixtures.py OUTDIR     # writes them into OUTDIR

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
    for write in (write_lbfgs, write_lr_schedulers):
        print("wrote", os.path.normpath(write(outdir)))


# LBFGS: name -> (problem, options, step() calls). Each call runs up to max_iter iterations.
LBFGS_CONFIGS = {
    "rosen_plain": ("rosen", dict(), 6),
    "rosen_lr": ("rosen", dict(lr=0.5), 6),
    "rosen_small": ("rosen", dict(max_iter=4, history_size=3), 6),
    "rosen_wolfe": ("rosen", dict(line_search_fn="strong_wolfe"), 4),
    "rosen_wolfe_small": ("rosen", dict(line_search_fn="strong_wolfe", history_size=2, max_iter=7), 6),
    "lsq_plain": ("lsq", dict(), 3),
    "lsq_history": ("lsq", dict(lr=0.8, max_iter=6, history_size=2, tolerance_grad=1e-12), 4),
    "lsq_wolfe": ("lsq", dict(line_search_fn="strong_wolfe"), 3),
    "lsq_wolfe_eval": ("lsq", dict(line_search_fn="strong_wolfe", max_iter=10, max_eval=12, history_size=4), 3),
}


def write_lbfgs(outdir):
    """tests/fixtures/lbfgs.txt: torch.optim.LBFGS on the Rosenbrock function and on a small least-squares
    problem, in float64, replayed by tests/test_lbfgs.cpp:

        lbfgs.rosen.x                   the Rosenbrock start, f(x) = (1 - x0)^2 + 100 (x1 - x0^2)^2
        lbfgs.lsq.X, .Y, .W, .b, .z     least squares: loss = mean((X @ W.t() + b - Y) ** 2), z unused (no grad)
        <config>.loss                   what each step(closure) call returned (the loss before it)
        <config>.func_evals, .n_iter    the state's counters after each call
        <config>.<param>.<k>            each parameter after call k (1..calls)
    """
    gen = torch.Generator().manual_seed(2025)
    ff = FixtureFile("lbfgs", kind="optimizer", writer="tools/gen_optim_fixtures.py")
    rosen_x = torch.tensor([-1.5, 2.0], dtype=torch.float64)
    lsq = {n: torch.randn(shape, generator=gen, dtype=torch.float32).double()
           for n, shape in [("X", (12, 4)), ("Y", (12, 2)), ("W", (2, 4)), ("b", (2,)), ("z", (3,))]}
    ff.add("lbfgs.rosen.x", rosen_x)
    for n, t in lsq.items():
        ff.add("lbfgs.lsq." + n, t.float())
    for cname, (problem, options, calls) in LBFGS_CONFIGS.items():
        if problem == "rosen":
            params = {"x": rosen_x.clone().requires_grad_(True)}

            def f():
                x = params["x"]
                return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2
        else:
            params = {n: lsq[n].clone().requires_grad_(True) for n in ("W", "b", "z")}

            def f():
                return ((lsq["X"] @ params["W"].t() + params["b"] - lsq["Y"]) ** 2).mean()
        opt = torch.optim.LBFGS(list(params.values()), **options)

        def closure():
            opt.zero_grad()
            loss = f()
            loss.backward()
            return loss

        losses, evals, iters = [], [], []
        first = next(iter(params.values()))
        for k in range(1, calls + 1):
            losses.append(opt.step(closure).item())
            evals.append(opt.state[first]["func_evals"])
            iters.append(opt.state[first]["n_iter"])
            for n, p in params.items():
                ff.add(f"{cname}.{n}.{k}", p)
        ff.add(f"{cname}.loss", torch.tensor(losses, dtype=torch.float64))
        ff.add(f"{cname}.func_evals", torch.tensor(evals, dtype=torch.int64))
        ff.add(f"{cname}.n_iter", torch.tensor(iters, dtype=torch.int64))
    return ff.write(outdir)


# Schedulers: name -> (make(optimizer) -> scheduler, step() calls, metrics for ReduceLROnPlateau or None).
# The metrics, factors and min_lr are float32 numbers, as LibTorch's ReduceLROnPlateauScheduler takes them.
PLATEAU_METRICS = [1.0, 0.75, 0.75, 0.8125, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.625, 0.25, 0.25, 0.25, 0.25, 0.25,
                   0.25, 0.25]
SCHEDULER_CONFIGS = {
    "cosine": (lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001), 25, None),
    "cosine_zero": (lambda o: S.CosineAnnealingLR(o, T_max=7), 10, None),
    "linear": (lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=4), 8, None),
    "linear_down": (lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=5), 8, None),
    "onecycle_cos": (lambda o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=20, cycle_momentum=False), 20, None),
    "onecycle_linear": (lambda o: S.OneCycleLR(o, max_lr=0.3, total_steps=16, pct_start=0.25, anneal_strategy="linear",
                                               div_factor=10.0, final_div_factor=100.0, cycle_momentum=False), 16, None),
    "onecycle_three": (lambda o: S.OneCycleLR(o, max_lr=0.4, total_steps=15, three_phase=True, cycle_momentum=False),
                       15, None),
    "plateau_min": (lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2), 18, PLATEAU_METRICS),
    "plateau_max_abs": (lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.25, patience=1, threshold=0.1,
                                                      threshold_mode="abs", cooldown=2, min_lr=[0.00390625, 0.001953125]),
                        18, [-m for m in PLATEAU_METRICS]),
    "plateau_eps": (lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=0, min_lr=[0.03125, 0.0], eps=0.005), 18,
                    PLATEAU_METRICS),
}
S = torch.optim.lr_scheduler


def write_lr_schedulers(outdir):
    """tests/fixtures/lr_scheduler.txt: torch.optim.lr_scheduler's learning rates, replayed by
    tests/test_schedulers.cpp. The optimizer is SGD with two groups, lr 0.1 and 0.05; for each config:

        <config>.lr       [calls + 1, 2]: each group's lr after the constructor (row 0) and after each step()
        <config>.metric   ReduceLROnPlateau's metric for each step() (float32 numbers)
    """
    ff = FixtureFile("lr_scheduler", kind="scheduler", writer="tools/gen_optim_fixtures.py")
    for cname, (make, calls, metrics) in SCHEDULER_CONFIGS.items():
        a, b = torch.zeros(2, requires_grad=True), torch.zeros(2, requires_grad=True)
        opt = torch.optim.SGD([dict(params=[a]), dict(params=[b], lr=0.05)], lr=0.1)
        sched = make(opt)
        rows = [[g["lr"] for g in opt.param_groups]]
        for k in range(calls):
            opt.step()
            if metrics is None:
                sched.step()
            else:
                sched.step(metrics[k])
            rows.append([g["lr"] for g in opt.param_groups])
        ff.add(f"{cname}.lr", torch.tensor(rows, dtype=torch.float64))
        if metrics is not None:
            ff.add(f"{cname}.metric", torch.tensor(metrics, dtype=torch.float32))
    return ff.write(outdir)


if __name__ == "__main__":
    main()
