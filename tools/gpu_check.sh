#!/usr/bin/env bash
# The GPU machine's check, in one call: build (16 cores) or take a prebuilt tree, run the test
# suite (every per-device test body then also runs on CUDA, plus the [cuda] tests), run the
# [cuda] tests under compute-sanitizer memcheck, train the tutorial's six models on the GPU, run
# PyTorch's reference (.device/seed_models_torch.py) on the same GPU in the same call, and print
# the ratio table last. Stage the data first, here: ../shared/device/stage.sh (carry .device).
# --nsys: also profile 300 steps of barebones_fc and module_conv with Nsight Systems (when nsys
# is installed; kernels inside the CUDA graph are traced one by one) and print the top kernels.
# usage: tools/gpu_check.sh [--prebuilt BUILD_DIR] [--epochs N] [--no-memcheck] [--nsys] [--data DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="${OUT:-/tmp/gpu_check}"
mkdir -p "$out"
build=build-gpu
epochs=1
memcheck=1
nsys_profile=0
data="${TMPDIR:-/tmp}/cifar10"  # prepared here from .device/ when absent
while [ $# -gt 0 ]; do
  case "$1" in
    --prebuilt) build="$2"; shift 2 ;;
    --epochs) epochs="$2"; shift 2 ;;
    --no-memcheck) memcheck=0; shift ;;
    --nsys) nsys_profile=1; shift ;;
    --data) data="$2"; shift 2 ;;
    *) echo "gpu_check: unknown argument $1"; exit 2 ;;
  esac
done
export LD_LIBRARY_PATH="$root/$build/lib:$root/$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
gpu="$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
echo "== GPU: $gpu"

if [ "$build" = build-gpu ]; then
  echo "== build"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMBER_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90 \
    > "$out/configure.log" 2>&1 && cmake --build "$build" -j 16 > "$out/build.log" 2>&1 \
    || { tail -40 "$out/configure.log" "$out/build.log"; exit 1; }
fi

echo "== tests (CPU and CUDA)"
(cd "$build/tests" && EMBER_FIXTURES_DIR="$root/tests/fixtures" ./ember_tests --order decl > "$out/tests.log" 2>&1); tests_rc=$?
tail -4 "$out/tests.log"
memcheck_rc=skipped
if [ "$memcheck" = 1 ]; then
  echo "== compute-sanitizer memcheck on the [cuda] tests (less [oom]: its failed cudaMalloc is the point)"
  sanitizer="$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)"
  (cd "$build/tests" && EMBER_FIXTURES_DIR="$root/tests/fixtures" timeout 120 "$sanitizer" --tool memcheck --error-exitcode 3 ./ember_tests "[cuda]~[oom]" > "$out/memcheck.log" 2>&1)
  memcheck_rc=$?
  grep -E "ERROR SUMMARY|All tests passed|test cases" "$out/memcheck.log" | tail -3
fi

echo "== data"
[ -f "$data/data_batch_5.bin" ] || .device/prepare.sh "$data" > "$out/prepare.log" 2>&1

echo "== ember: six trainings on the GPU"
: > "$out/ember.jsonl"
for m in barebones_fc barebones_conv module_fc module_conv sequential_fc sequential_conv; do
  "$build/tools/train_cifar" --model "$m" --data "$data" --device cuda --epochs "$epochs" \
    --print-every 1000000 > "$out/train_$m.log" 2>&1
  tail -1 "$out/train_$m.log" | tee -a "$out/ember.jsonl"
done

echo "== ember variants, for comparison: eager (--no-cuda-graph), full FP32 convolutions (--no-tf32)"
for v in "barebones_fc --no-cuda-graph" "sequential_conv --no-cuda-graph" "barebones_conv --no-tf32" \
         "sequential_conv --no-tf32"; do
  set -- $v
  echo "$2 $("$build/tools/train_cifar" --model "$1" --data "$data" --device cuda --epochs "$epochs" \
    --print-every 1000000 "$2" 2>/dev/null | tail -1)"
done
grep -h "captured the training step" "$out"/train_*.log | head -1

if [ "$nsys_profile" = 1 ]; then
  echo "== where the GPU time goes (nsys, 300 steps, kernels by total time)"
  if command -v nsys >/dev/null; then
    for m in barebones_fc module_conv; do
      nsys profile --cuda-graph-trace=node --force-overwrite=true -o "$out/nsys_$m" \
        "$build/tools/train_cifar" --model "$m" --data "$data" --device cuda --max-steps 300 \
        --print-every 1000000 > "$out/nsys_$m.log" 2>&1
      echo "-- $m"
      nsys stats --report cuda_gpu_kern_sum --format csv "$out/nsys_$m.nsys-rep" 2>/dev/null \
        | python3 -c 'import csv, sys
rows = [r for r in csv.reader(sys.stdin) if len(r) > 8]
for r in rows[1:13]: print(f"{float(r[0]):5.1f}%  {float(r[1]) / 1e6:8.2f} ms  {r[2]:>6} calls  {r[-1][:90]}")'
    done
  else
    echo "nsys not found: no profile"
  fi
fi

echo "== PyTorch: the same six trainings on the same GPU"
python3 .device/seed_models_torch.py "$data" --device cuda --epochs "$epochs" 2>&1 | tee "$out/torch.txt"

echo "== ratio table ($gpu, batch 64, $epochs epoch(s))"
python3 - "$out/ember.jsonl" "$out/torch.txt" <<'PY'
import json, sys
ember = {}
for line in open(sys.argv[1]):
    try:
        r = json.loads(line); ember[r["model"]] = r
    except Exception:
        pass
torch = {}
for line in open(sys.argv[2]):
    p = line.split()
    if len(p) >= 8 and p[1] == "train_s":
        torch[p[0]] = {"ips": float(p[4]), "val": float(p[6])}
print("| training | PyTorch img/s | ember img/s | ember / PyTorch | PyTorch val | ember val |")
print("|---|---:|---:|---:|---:|---:|")
for m in ["barebones_fc", "barebones_conv", "module_fc", "module_conv", "sequential_fc", "sequential_conv"]:
    t, e = torch.get(m), ember.get(m)
    if not t or not e:
        print(f"| {m} | {t['ips'] if t else '-'} | {e['images_per_second'] if e else 'FAILED'} | - | | |"); continue
    print(f"| {m} | {t['ips']:.0f} | {e['images_per_second']:.0f} | {e['images_per_second'] / t['ips']:.2f}x "
          f"| {t['val']:.3f} | {e['val_accuracy']:.3f} |")
PY
echo "tests rc=$tests_rc memcheck rc=$memcheck_rc"
