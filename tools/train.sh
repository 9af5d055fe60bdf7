#!/usr/bin/env bash
# Builds ember (Release) and runs train_cifar on the default device (the GPU when one is usable).
# Data: $EMBER_CIFAR10_DIR, else data/cifar-10-batches-bin, prepared from ../shared/data when
# that folder is beside the checkout, else downloaded by data/fetch_cifar10.sh.
# usage: tools/train.sh [train_cifar flags...]   (default --model sequential_conv; later flags win)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then export CUDACXX=/usr/local/cuda/bin/nvcc; fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" --target train_cifar
data="${EMBER_CIFAR10_DIR:-data/cifar-10-batches-bin}"
if [ ! -f "$data/data_batch_5.bin" ]; then
  if [ -x ../shared/data/prepare_cifar10.sh ]; then
    ../shared/data/prepare_cifar10.sh "$data"
  else
    data/fetch_cifar10.sh "$data"
  fi
fi
exec build/tools/train_cifar --model sequential_conv --data "$data" "$@"
