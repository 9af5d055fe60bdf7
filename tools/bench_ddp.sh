#!/usr/bin/env bash
# Data-parallel throughput: `mpirun -np 2 train_cifar --distributed --threads 1` against PyTorch's
# DDP (../shared/bench/ddp_torch.py: gloo, 2 processes, 1 thread each) at the same per-rank batch,
# on the binary CIFAR-10 batches. Prints one line per run and the machine's load; docs/distributed.md
# records the figures.
# usage: tools/bench_ddp.sh BUILD_DIR DATA_DIR [TORCH_SCRIPT]
set -eu
build="$1" data="$2" torch_script="${3:-$(dirname "$0")/../../shared/bench/ddp_torch.py}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
lscpu | grep -E "Model name|^CPU\(s\)" | tr -s ' '
for spec in "sequential_conv 64 100" "resnet20 128 20"; do
  read -r model batch steps <<<"$spec"
  echo "load before $model: $(cut -d' ' -f1-3 /proc/loadavg)"
  mpirun --oversubscribe -np 2 "$build/tools/train_cifar" --distributed --model "$model" --data "$data" --device cpu \
    --threads 1 --batch-size "$batch" --max-steps "$steps" --print-every 100000 2>/dev/null | tail -1 |
    sed "s/^/ember $model: /"
  OMP_NUM_THREADS=1 /usr/bin/python3 "$torch_script" "$data" --world 2 --model "$model" --batch-size "$batch" \
    --threads-per-rank 1 --max-steps "$steps" 2>/dev/null | tail -1 | sed "s/^/torch $model: /"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
