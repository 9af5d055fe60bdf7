#!/usr/bin/env bash
# Sanitizer CI: the unit tests under AddressSanitizer (with leak checking) and
# UndefinedBehaviorSanitizer, then each libFuzzer target for a bounded time.
#   FUZZ_SECONDS  seconds per fuzzer (default 60; 0 skips fuzzing)
#   JOBS          build and ctest parallelism (default: nproc)
# Build folders: build-asan (GCC, -DEMBER_SANITIZE=ON) and build-fuzz (clang, -DEMBER_FUZZ=ON).
# A fuzzer crash leaves its input in build-fuzz/artifacts/; reproduce it with
#   build-fuzz/fuzz/fuzz_<name> build-fuzz/artifacts/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-$(nproc)}"

export DEBIAN_FRONTEND=noninteractive
need=()
# clang's libFuzzer and sanitizer runtimes are in libclang-rt-dev (libclang-rt-14-dev on Debian 12);
# libomp-dev is OpenMP for clang.
for pkg in cmake ninja-build g++ clang libclang-rt-dev libomp-dev libopenblas-dev catch2 pkg-config python3 libjpeg-dev libpng-dev libopenmpi-dev openmpi-bin; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
# -O1 with line tables only (-g1): what the sanitizers' documentation recommends, with file:line in
# every report, at two thirds of RelWithDebInfo's (-O2 -g) compile time.
# The library compiles in batches (unity build): about half the compile time of one file at a time.
san_flags=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" -DCMAKE_UNITY_BUILD=ON)
launcher=()
if command -v ccache >/dev/null; then launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache); fi

# halt_on_error/abort: the first report fails the run; detect_leaks: LeakSanitizer at exit;
# allocator_may_return_null: an impossible allocation returns null as the C library's does
# (ember turns that into OutOfMemoryError, which a test checks) instead of aborting.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:strict_string_checks=1:detect_stack_use_after_return=1:allocator_may_return_null=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

echo "== unit tests under ASan + UBSan (build-asan)"
# Without the MPI backend: OpenMPI's own allocations at exit, made by plugins it has already
# unloaded (no module name to suppress), end every MPI process under LeakSanitizer. The MPI
# backend and its tests run in the plain build (tools/test.sh).
cmake -S . -B build-asan -G Ninja "${launcher[@]}" "${san_flags[@]}" -DEMBER_SANITIZE=ON \
  -DEMBER_CUDA=OFF -DEMBER_MPI=OFF -DEMBER_BUILD_TESTS=ON -DEMBER_BUILD_TOOLS=OFF
cmake --build build-asan -j "$JOBS"
(cd build-asan && OMP_NUM_THREADS=2 ctest --output-on-failure -j "$JOBS")

if [ "$FUZZ_SECONDS" -le 0 ]; then
  echo "== fuzzing skipped (FUZZ_SECONDS=$FUZZ_SECONDS)"
  exit 0
fi

echo "== fuzzers (build-fuzz, clang, ${FUZZ_SECONDS}s each)"
cmake -S . -B build-fuzz -G Ninja "${launcher[@]}" -DCMAKE_CXX_COMPILER=clang++ "${san_flags[@]}" \
  -DEMBER_FUZZ=ON -DEMBER_CUDA=OFF -DEMBER_MPI=OFF -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_TOOLS=OFF
cmake --build build-fuzz -j "$JOBS"
rm -rf build-fuzz/corpus
python3 fuzz/gen_corpus.py build-fuzz/corpus
mkdir -p build-fuzz/artifacts
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
run_fuzzer() {  # name, max input length, extra flags...
  local name="$1" max_len="$2"
  shift 2
  echo "-- fuzz_$name"
  OMP_NUM_THREADS=1 "build-fuzz/fuzz/fuzz_$name" -max_total_time="$FUZZ_SECONDS" -max_len="$max_len" \
    -timeout=20 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix=build-fuzz/artifacts/ "$@" \
    "build-fuzz/corpus/$name"
}
run_fuzzer safetensors 4096 -dict=fuzz/safetensors.dict
run_fuzzer cifar10 8192
run_fuzzer pt 16384
run_fuzzer shapes 256
echo "== sanitizers and fuzzers clean"
