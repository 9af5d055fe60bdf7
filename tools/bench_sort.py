#!/usr/bin/env python3
"""Benchmark: ember's sort, argsort, topk and unique (forward) against PyTorch, side by side,
at 1e4-1e7 float32 elements as one row (1-D) and as rows of 1000 (2-D); unique of int64 values
drawn from [0, n/10) with the inverse indices.

usage: tools/bench_sort.py BUILD_DIR [--threads 2] [--device cpu|cuda] [--repeats 5] [--only SUBSTRING]
Runs PyTorch in this process and ember's bench_sort binary with the same threads and shapes, case
by case, back to back, so that load from other processes on a shared machine tends to hit both.
Prints median milliseconds and the ratio PyTorch / ember (> 1: ember faster).
"""
import argparse, os, platform, subprocess, time

import torch


def median_ms(step, repeats, device):
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    step()
    sync()
    ms = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        sync()
        ms.append((time.perf_counter() - t0) * 1e3)
    return sorted(ms)[len(ms) // 2]


def torch_cases(device):
    steps = {}
    for n, tag in ((10**4, "1e4"), (10**5, "1e5"), (10**6, "1e6"), (10**7, "1e7")):
        cache = {}

        def get(n=n, cache=cache):
            if "d" not in cache:
                cache["d"] = (torch.randn(n, device=device), torch.randn(n // 1000, 1000, device=device),
                              torch.randint(0, n // 10, (n,), device=device))
            return cache["d"]
        steps[f"sort_1d_{tag}"] = lambda get=get: get()[0].sort()
        steps[f"sort_rows_{tag}"] = lambda get=get: get()[1].sort(-1)
        steps[f"argsort_1d_{tag}"] = lambda get=get: get()[0].argsort()
        steps[f"topk_1d_{tag}"] = lambda get=get: get()[0].topk(100)
        steps[f"topk_rows_{tag}"] = lambda get=get: get()[1].topk(10)
        steps[f"unique_1d_{tag}"] = lambda get=get: torch._unique2(get()[2], True, True, False)
    return steps


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
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--only", default="")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    steps = {k: s for k, s in torch_cases(a.device).items() if a.only in k}
    exe = os.path.join(a.build_dir, "tools", "bench_sort")
    print(f"machine: {machine(a.device)}; threads {a.threads}; PyTorch {torch.__version__}; median of {a.repeats}; "
          f"load average at start {os.getloadavg()[0]:.2f}")
    print("| case | PyTorch ms | ember ms | speed-up (PyTorch / ember) |")
    print("|---|---:|---:|---:|")
    for k, step in steps.items():
        ref = median_ms(step, a.repeats, a.device)
        out = subprocess.run([exe, "--threads", str(a.threads), "--device", a.device, "--repeats", str(a.repeats),
                              "--case", k], check=True, capture_output=True, text=True).stdout
        name, ms = out.split()
        assert name == k, out
        ours = float(ms)
        print(f"| {k} | {ref:.2f} | {ours:.2f} | {ref / ours:.2f}x |", flush=True)
    print(f"load average at end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
