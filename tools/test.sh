#!/usr/bin/env bash
# Builds ember with its tests in ./build and runs them (ctest). CUDA tests skip without a GPU.
# usage: tools/test.sh [extra cmake args...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then export CUDACXX=/usr/local/cuda/bin/nvcc; fi
cmake -S . -B build -G Ninja -DEMBER_BUILD_TESTS=ON "$@"
cmake --build build -j "$(nproc)"
cd build && ctest --output-on-failure -j "$(nproc)"
