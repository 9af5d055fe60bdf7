#!/usr/bin/env bash
# Builds ember (Release) and runs train_cifar on the default device (the GPU when one is usable).
# Data: --data DIR when given; else $EMBER_CIFAR10_DIR, else data/cifar-10-batches-bin in the
# checkout, prepared from ../shared/data when that folder is beside the checkout, else downloaded
# by data/fetch_cifar10.sh. The script stays in the caller's folder, so relative paths (--data,
# --save, --resume, --log, $EMBER_CIFAR10_DIR) mean what they mean there.
# EMBER_TRAIN_CIFAR=PATH runs that train_cifar binary instead of building one.
# usage: tools/train.sh [train_cifar flags...]   (default --model sequential_conv; later flags win)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exe="${EMBER_TRAIN_CIFAR:-}"
if [ -z "$exe" ]; then
  if [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then export CUDACXX=/usr/local/cuda/bin/nvcc; fi
  cmake -S "$root" -B "$root/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$root/build" -j "$(nproc)" --target train_cifar
  exe="$root/build/tools/train_cifar"
fi
for arg in "$@"; do
  if [ "$arg" = --data ]; then exec "$exe" --model sequential_conv "$@"; fi
done
data="${EMBER_CIFAR10_DIR:-$root/data/cifar-10-batches-bin}"
if [ ! -f "$data/data_batch_5.bin" ]; then
  if [ -x "$root/../shared/data/prepare_cifar10.sh" ]; then
    "$root/../shared/data/prepare_cifar10.sh" "$data"
  else
    "$root/data/fetch_cifar10.sh" "$data"
  fi
fi
exec "$exe" --model sequential_conv --data "$data" "$@"
