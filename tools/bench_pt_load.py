#!/usr/bin/python3
"""Loading a ~100 MB torch.save'd state_dict: ember's load_pt against Python's torch.load.

  /usr/bin/python3 tools/bench_pt_load.py BUILD_DIR [MB]

Writes the file (a stack of Linear layers' float32 weights plus a few BatchNorm buffers) to a
temporary folder, times torch.load (best of 5, after one warm-up read so both find the file in
the page cache) and build/tools/bench_pt_load on the same file, and prints the ratio
(> 1: ember is faster). docs/benchmarks.md records the result.
"""
import os
import subprocess
import sys
import tempfile
import time

import torch


def main(build, mb):
    torch.manual_seed(0)
    sd = {}
    for i in range(max(1, mb // 4)):
        sd[f"layers.{i}.weight"] = torch.randn(1024, 1024)
        sd[f"layers.{i}.bias"] = torch.randn(1024)
    sd["bn.running_mean"] = torch.zeros(64)
    sd["bn.num_batches_tracked"] = torch.tensor(5)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "big.pt")
        torch.save(sd, path)
        size = os.path.getsize(path)
        torch.load(path)
        best = 1e30
        for _ in range(5):
            t0 = time.perf_counter()
            torch.load(path)
            best = min(best, time.perf_counter() - t0)
        out = subprocess.run([os.path.join(build, "tools", "bench_pt_load"), path, "5"], check=True,
                             capture_output=True, text=True).stdout
        ember = float(out.split(":")[-1].split()[0])
        print(f"file: {size / 1e6:.1f} MB, {len(sd)} tensors")
        print(f"torch.load (python3-torch {torch.__version__}): {best * 1e3:.1f} ms")
        print(f"ember load_pt: {ember * 1e3:.1f} ms")
        print(f"ratio torch.load / ember: {best / ember:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 100)
