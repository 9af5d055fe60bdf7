#!/usr/bin/env python3
"""Benchmark: ember's mm, conv2d and activations (forward + backward) and indexing ops (gather,
scatter, index, masked_select; forward only, 1e4-1e7 elements) against PyTorch, side by side.

usage: tools/bench_ops.py BUILD_DIR [--threads 2] [--device cpu|cuda] [--repeats 10] [--rounds 1] [--only SUBSTRING]
                           [--clock wall|cpu]
--only keeps the cases whose name contains SUBSTRING (e.g. 64x32x32x32: the activations).
--clock cpu times each side's process CPU time instead of the wall clock: with --threads 1 that
is the work itself, which a machine shared with other jobs does not inflate (with more threads
it also counts OpenMP's spinning).
Runs PyTorch in this process and ember's bench_ops binary with the same threads and shapes, case
by case, back to back (PyTorch's case, then ember's), so that load from other processes on a
shared machine tends to hit both; --rounds repeats the whole walk. Prints a table of median
milliseconds (the median over rounds) and the median of the rounds' ratios PyTorch / ember
(> 1: ember faster).
The cases match tools/bench_ops.cpp: the second conv's input requires grad (it is a hidden
layer), the first conv's does not (it is the image).
"""
import argparse, os, platform, statistics, subprocess, time

import torch
import torch.nn.functional as F


CLOCK = time.perf_counter


def median_ms(step, repeats, device):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):
        step()
    sync()
    ms = []
    for _ in range(repeats):
        t0 = CLOCK()
        step()
        sync()
        ms.append((CLOCK() - t0) * 1e3)
    return statistics.median(ms)


def torch_cases(device):
    """Each case's forward + backward step, by name."""
    torch.manual_seed(0)
    p = lambda *s: torch.randn(*s, device=device, requires_grad=True)
    x, w = torch.randn(64, 3072, device=device), p(3072, 4000)
    img, w1, b1 = torch.randn(64, 3, 32, 32, device=device), p(32, 3, 5, 5), p(32)
    h, w2, b2 = p(64, 32, 32, 32), p(16, 32, 3, 3), p(16)

    def mm():
        y = x.mm(w); y.backward(torch.ones_like(y))

    def conv1():
        y = F.conv2d(img, w1, b1, padding=2); y.backward(torch.ones_like(y))

    def conv2():
        y = F.conv2d(h, w2, b2, padding=1); y.backward(torch.ones_like(y))

    steps = {"mm_64x3072x4000": mm, "conv_3to32_5x5_pad2": conv1, "conv_32to16_3x3_pad1": conv2}
    # Activations on the hidden layer's (64, 32, 32, 32) output, forward + backward.
    a = torch.randn(64, 32, 32, 32, device=device, requires_grad=True)
    for name, fn in ACTIVATIONS:
        def step(fn=fn):
            y = fn(a); y.backward(torch.ones_like(y))
        steps[f"{name}_64x32x32x32"] = step
    # The Tensor conveniences (issue 12) along the last dim of (256, 1024).
    r = torch.randn(256, 1024, device=device, requires_grad=True)
    for name, fn in TENSORAPI:
        def step(fn=fn):
            y = fn(r); y.backward(torch.ones_like(y))
        steps[f"{name}_256x1024"] = step
    steps.update(indexing_cases(device))
    return steps


def indexing_cases(device):
    """Forward-only indexing at n elements, as tools/bench_ops.cpp (the tensors are made lazily)."""
    steps = {}
    for tag, n in [("1e4", 10**4), ("1e5", 10**5), ("1e6", 10**6), ("1e7", 10**7)]:
        def data(n=n):
            m2, src = torch.randn(n // 100, 100, device=device), torch.randn(n // 100, 100, device=device)
            idx2 = torch.randint(0, 100, (n // 100, 100), device=device)
            v, mask = torch.randn(n, device=device), torch.rand(n, device=device) > 0.5
            return m2, src, idx2, v, mask, torch.randint(0, n, (n,), device=device)
        cache = {}

        def get(data=data, cache=cache):
            if "d" not in cache:
                cache["d"] = data()
            return cache["d"]
        steps[f"gather_{tag}"] = lambda get=get: get()[0].gather(1, get()[2])
        steps[f"scatter_{tag}"] = lambda get=get: get()[0].scatter(1, get()[2], get()[1])
        steps[f"index_{tag}"] = lambda get=get: get()[3][get()[5]]
        steps[f"masked_select_{tag}"] = lambda get=get: get()[3].masked_select(get()[4])
    return steps


ACTIVATIONS = [("relu", F.relu), ("silu", F.silu), ("gelu", F.gelu), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
               ("leaky_relu", F.leaky_relu), ("elu", F.elu), ("softplus", F.softplus), ("mish", F.mish),
               ("hardswish", F.hardswish), ("sigmoid", torch.sigmoid), ("tanh", torch.tanh), ("selu", F.selu),
               ("celu", F.celu), ("logsigmoid", F.logsigmoid)]


TENSORAPI = [("cumsum", lambda t: t.cumsum(1)), ("cumprod", lambda t: t.cumprod(1)),
             ("logsumexp", lambda t: t.logsumexp(1)), ("norm", lambda t: t.norm(2, 1)), ("flip", lambda t: t.flip(1)),
             ("tan", torch.tan), ("atan", torch.atan), ("asinh", torch.asinh), ("expm1", torch.expm1),
             ("atan2", lambda t: torch.atan2(t, t.detach() + 0.5)),
             ("div_floor", lambda t: torch.div(t, 0.7, rounding_mode="floor"))]


def machine(device):
    if device == "cuda":
        return torch.cuda.get_device_name(0)
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build_dir")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--only", default="")
    ap.add_argument("--clock", choices=["wall", "cpu"], default="wall")
    a = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if a.clock == "cpu" else time.perf_counter
    torch.set_num_threads(a.threads)
    steps = {k: step for k, step in torch_cases(a.device).items() if a.only in k}
    exe = os.path.join(a.build_dir, "tools", "bench_ops")

    def ember_ms(case):
        out = subprocess.run([exe, "--threads", str(a.threads), "--device", a.device, "--repeats", str(a.repeats),
                              "--case", case, "--clock", a.clock], check=True, capture_output=True, text=True).stdout
        name, ms = out.split()
        assert name == case, out
        return float(ms)

    times = {k: ([], []) for k in steps}
    for _ in range(a.rounds):
        for k, step in steps.items():
            times[k][0].append(median_ms(step, a.repeats, a.device))
            times[k][1].append(ember_ms(k))
    med = statistics.median
    print(f"machine: {machine(a.device)}; threads {a.threads}; PyTorch {torch.__version__}; median of {a.repeats}; "
          f"{a.rounds} round(s); {a.clock} clock")
    print(f"| case | PyTorch ms | ember ms | speed-up (PyTorch / ember) |")
    print(f"|---|---:|---:|---:|")
    for k, (ref, ours) in times.items():
        print(f"| {k} | {med(ref):.2f} | {med(ours):.2f} | {med(r / o for r, o in zip(ref, ours)):.2f}x |")


if __name__ == "__main__":
    main()
