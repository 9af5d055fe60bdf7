#!/usr/bin/env bash
# Builds each program in tests/compat/ against LibTorch (apt libtorch-dev) and against ember's
# build in BUILD_DIR, runs both and diffs their output: values, gradients, random numbers,
# training trajectories and printing must be identical (module printouts name ember:: where
# LibTorch names torch::). usage: tools/check_libtorch_compat.sh [BUILD_DIR [NAME...]]
# NAMEs (libtorch_assign, ...) pick programs; without them all of tests/compat/ runs.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
shift $(( $# > 0 ? 1 : 0 ))
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
programs=()
for name in "$@"; do programs+=("$root/tests/compat/$name.cpp"); done
[ ${#programs[@]} -gt 0 ] || programs=("$root"/tests/compat/*.cpp)
for src in "${programs[@]}"; do
  name="$(basename "$src" .cpp)"
  [ -f "$src" ] || { echo "$name: no such program in tests/compat/"; status=1; continue; }
  c++ -std=c++17 -DUSE_TORCH "$src" -I/usr/include/torch/csrc/api/include -ltorch -ltorch_cpu -lc10 -o "$tmp/torch"
  c++ -std=c++17 "$src" -I"$root/include" -L"$build" -lember -Wl,-rpath,"$build" -o "$tmp/ember"
  "$tmp/torch" | sed 's/torch::/ember::/g' > "$tmp/torch.txt"
  "$tmp/ember" > "$tmp/ember.txt"
  if diff "$tmp/torch.txt" "$tmp/ember.txt"; then
    echo "$name: identical output ($(wc -l < "$tmp/torch.txt") lines) from LibTorch and ember"
  else
    echo "$name: outputs differ (< LibTorch, > ember)"; status=1
  fi
done
exit $status
