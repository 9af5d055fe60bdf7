#!/usr/bin/python3
"""All-reduce bandwidth of PyTorch's gloo backend, measured as tools/bench_allreduce.cpp measures
ember's MPI process group: float32 SUM over 4 KB .. 64 MB, the slowest rank's mean time.
    /usr/bin/python3 tools/bench_allreduce.py [processes, default 2]
Two processes on this machine via torch.multiprocessing, rendezvous at 127.0.0.1."""
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def run(rank, size):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = "29517"
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=size)
    if rank == 0:
        print(f"PyTorch {torch.__version__} gloo all_reduce, float32 SUM, {size} processes")
        print(f"{'bytes':>10} {'iters':>8} {'time (us)':>12} {'algbw (GB/s)':>14} {'busbw (GB/s)':>14}")
    nbytes = 4 << 10
    while nbytes <= 64 << 20:
        t = torch.ones(nbytes // 4)
        iters = min(max((256 << 20) // nbytes, 5), 1000)
        for _ in range(3):
            dist.all_reduce(t)
        dist.barrier()
        start = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(t)
        slowest = torch.tensor([(time.perf_counter() - start) / iters], dtype=torch.float64)
        dist.all_reduce(slowest, op=dist.ReduceOp.MAX)
        s = slowest.item()
        algbw = nbytes / s / 1e9
        if rank == 0:
            print(f"{nbytes:>10} {iters:>8} {s * 1e6:>12.1f} {algbw:>14.3f} {algbw * 2 * (size - 1) / size:>14.3f}")
        nbytes *= 4
    dist.destroy_process_group()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    mp.spawn(run, args=(n,), nprocs=n)
