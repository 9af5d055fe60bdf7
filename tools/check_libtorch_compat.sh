#!/usr/bin/env bash
# Builds tests/compat/libtorch_program.cpp against LibTorch (apt libtorch-dev) and against ember's
# build in BUILD_DIR, runs both and diffs their output: values, gradients, random numbers and
# printing must be identical. usage: tools/check_libtorch_compat.sh [BUILD_DIR]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
src="$root/tests/compat/libtorch_program.cpp"
c++ -std=c++17 -DUSE_TORCH "$src" -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10 -o "$tmp/torch"
c++ -std=c++17 "$src" -I"$root/include" -L"$build" -lember -Wl,-rpath,"$build" -o "$tmp/ember"
"$tmp/torch" > "$tmp/torch.txt"
"$tmp/ember" > "$tmp/ember.txt"
if diff "$tmp/torch.txt" "$tmp/ember.txt"; then
  echo "identical output ($(wc -l < "$tmp/torch.txt") lines) from LibTorch and ember"
else
  echo "outputs differ (< LibTorch, > ember)"; exit 1
fi
