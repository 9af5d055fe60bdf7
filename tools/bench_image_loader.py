#!/usr/bin/env python3
"""Images per second from a folder of JPEGs: ember's ImageFolder loader (tools/bench_image_loader)
and PyTorch's DataLoader over the same folder, run back to back, rounds alternating.

PyTorch's side is what a torchvision user writes, without torchvision (not packaged here): a
Dataset that lists root/<class>/<file> sorted, opens each image with PIL, converts to RGB and to
a float tensor in [0, 1] (torchvision's ToTensor), pads by 4 and crops 32 at a random place and
flips with probability 1/2 (RandomCrop(32, padding=4), RandomHorizontalFlip()), batched by
DataLoader(batch_size, shuffle=True, num_workers). ember decodes in its workers and augments
each batch as train_cifar does.

usage: bench_image_loader.py BUILD_DIR ROOT [--workers 2] [--batch 128] [--batches 100] [--rounds 3]
"""
import argparse
import os
import random
import subprocess
import sys
import time

import numpy as np
import torch
from PIL import Image


class Folder(torch.utils.data.Dataset):
    def __init__(self, root):
        self.classes = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
        self.samples = []
        for label, c in enumerate(self.classes):
            for dirpath, _, files in sorted(os.walk(os.path.join(root, c))):
                for f in sorted(files):
                    if f.lower().endswith((".jpg", ".jpeg", ".png")):
                        self.samples.append((os.path.join(dirpath, f), label))

    def __len__(self):
        return len(self.samples)

    def __getitem__(self, i):
        path, label = self.samples[i]
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        x = torch.from_numpy(np.asarray(img, dtype=np.uint8).copy()).permute(2, 0, 1).float().div(255)
        x = torch.nn.functional.pad(x, (4, 4, 4, 4))
        top, left = random.randint(0, x.shape[1] - 32), random.randint(0, x.shape[2] - 32)
        x = x[:, top:top + 32, left:left + 32]
        if random.random() < 0.5:
            x = x.flip(2)
        return x, label


def torch_rate(root, workers, batch, batches):
    torch.set_num_threads(1)
    loader = torch.utils.data.DataLoader(Folder(root), batch_size=batch, shuffle=True, num_workers=workers)
    seen, n, checksum = 0, 0, 0.0
    start = time.perf_counter()
    for x, _ in loader:
        checksum += float(x.sum())
        if n == 0:
            start = time.perf_counter()
        else:
            seen += x.shape[0]
        n += 1
        if n > batches:
            break
    return seen / (time.perf_counter() - start)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("root")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--batches", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    exe = os.path.join(a.build, "tools", "bench_image_loader")
    print(f"{os.cpu_count()} CPUs; workers {a.workers}, batch {a.batch}, {a.batches} timed batches; load {os.getloadavg()}")
    print("| round | PyTorch img/s | ember img/s | ember / PyTorch |")
    print("|---|---:|---:|---:|")
    for r in range(1, a.rounds + 1):
        t = torch_rate(a.root, a.workers, a.batch, a.batches)
        out = subprocess.run([exe, a.root, str(a.workers), str(a.batch), str(a.batches)], check=True,
                             capture_output=True, text=True).stdout
        e = float(out.split("images/s")[1].split()[0])
        print(f"| {r} | {t:.0f} | {e:.0f} | {e / t:.2f}x |", flush=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    sys.exit(main())
