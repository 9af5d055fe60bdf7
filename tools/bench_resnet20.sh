#!/usr/bin/env bash
# ResNet-20 on the CPU, ember against PyTorch (../shared/bench/resnet20_torch.py or
# $EMBER_RESNET_BENCH): same machine, data, thread count and --max-steps, run back to back
# (PyTorch, ember, PyTorch, ember: a shared machine's load drifts, alternating shows how much).
# Prints the machine, the load before and after, and a markdown table of images/s. train_cifar
# waits passively in OpenMP when the machine is busy at start (train_cifar.cpp: choose_openmp_wait); PyTorch runs as the
# reference command does (libgomp's default, spinning) and, for comparison, passive too.
# usage: tools/bench_resnet20.sh DATA_DIR [THREADS] [MAX_STEPS] [ROUNDS]   (build train_cifar first)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench_resnet20.sh DATA_DIR [THREADS] [MAX_STEPS] [ROUNDS]}"
threads="${2:-2}"
steps="${3:-30}"
rounds="${4:-2}"
ref="${EMBER_RESNET_BENCH:-../shared/bench/resnet20_torch.py}"
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores," \
  "AVX-512: $(grep -qw avx512f /proc/cpuinfo && echo yes || echo no); threads $threads, --max-steps $steps"
echo "load before: $(uptime | sed 's/.*load average/load average/')"
echo "| round | PyTorch img/s | PyTorch passive img/s | ember img/s | ember / PyTorch | ember / PyTorch passive |"
echo "|---|---:|---:|---:|---:|---:|"
for r in $(seq 1 "$rounds"); do
  t=$(OMP_NUM_THREADS="$threads" /usr/bin/python3 "$ref" "$data" --device cpu --threads "$threads" --max-steps "$steps" |
      awk '/^resnet20/ {print $5}')
  tp=$(OMP_WAIT_POLICY=passive OMP_NUM_THREADS="$threads" /usr/bin/python3 "$ref" "$data" --device cpu --threads "$threads" \
       --max-steps "$steps" | awk '/^resnet20/ {print $5}')
  e=$(build/tools/train_cifar --model resnet20 --data "$data" --device cpu --threads "$threads" --max-steps "$steps" \
      --print-every 1000000 2>/dev/null | tail -1 |
      /usr/bin/python3 -c 'import json, sys; print(round(json.loads(sys.stdin.read())["images_per_second"]))')
  echo "| $r | $t | $tp | $e | $(/usr/bin/python3 -c "print(f'{$e / $t:.2f}x')") | $(/usr/bin/python3 -c "print(f'{$e / $tp:.2f}x')") |"
done
echo "load after: $(uptime | sed 's/.*load average/load average/')"
