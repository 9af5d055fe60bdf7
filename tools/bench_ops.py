#!/usr/bin/env python3
"""Benchmark: ember's mm, conv2d and activations (forward + backward) against PyTorch, side by side.

usage: tools/bench_ops.py BUILD_DIR [--threads 2] [--device cpu|cuda] [--repeats 10]
Runs PyTorch in this process and ember's bench_ops binary with the same threads and shapes,
then prints a table of median milliseconds and the ratio PyTorch / ember (> 1: ember faster).
The cases match tools/bench_ops.cpp: the second conv's input requires grad (it is a hidden
layer), the first conv's does not (it is the image).
"""
import argparse, os, platform, statistics, subprocess, time

import torch
import torch.nn.functional as F


def median_ms(step, repeats, device):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    for _ in range(3):
        step()
    sync()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        ms.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(ms)


def torch_cases(device, repeats):
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

    cases = {"mm_64x3072x4000": median_ms(mm, repeats, device),
             "conv_3to32_5x5_pad2": median_ms(conv1, repeats, device),
             "conv_32to16_3x3_pad1": median_ms(conv2, repeats, device)}
    # Activations on the hidden layer's (64, 32, 32, 32) output, forward + backward.
    a = torch.randn(64, 32, 32, 32, device=device, requires_grad=True)
    for name, fn in ACTIVATIONS:
        def step(fn=fn):
            y = fn(a); y.backward(torch.ones_like(y))
        cases[f"{name}_64x32x32x32"] = median_ms(step, repeats, device)
    return cases


ACTIVATIONS = [("relu", F.relu), ("silu", F.silu), ("gelu", F.gelu), ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh")),
               ("leaky_relu", F.leaky_relu), ("elu", F.elu), ("softplus", F.softplus), ("mish", F.mish),
               ("hardswish", F.hardswish)]


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
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    ref = torch_cases(a.device, a.repeats)
    exe = os.path.join(a.build_dir, "tools", "bench_ops")
    out = subprocess.run([exe, "--threads", str(a.threads), "--device", a.device, "--repeats", str(a.repeats)],
                         check=True, capture_output=True, text=True).stdout
    ours = {k: float(v) for k, v in (line.split() for line in out.strip().splitlines())}
    print(f"machine: {machine(a.device)}; threads {a.threads}; PyTorch {torch.__version__}; median of {a.repeats}")
    print(f"| case (fwd+bwd, batch 64) | PyTorch ms | ember ms | speed-up (PyTorch / ember) |")
    print(f"|---|---:|---:|---:|")
    for k, t in ref.items():
        print(f"| {k} | {t:.2f} | {ours[k]:.2f} | {t / ours[k]:.2f}x |")


if __name__ == "__main__":
    main()
