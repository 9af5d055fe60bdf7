#!/usr/bin/env bash
# The six trainings on the CPU, ember against PyTorch (../shared/bench/seed_models_torch.py or
# $EMBER_TORCH_BENCH), same machine, data and thread count, run one after the other per model.
# Prints a markdown table of images/s and accuracy, PyTorch first, and the machine's name.
# usage: tools/bench_cpu_trainings.sh DATA_DIR [THREADS] [MODELS]   (run tools/train.sh's build first;
#        EMBER_BUILD=DIR times DIR/tools/train_cifar instead of build/'s)
set -euo pipefail
cd "$(dirname "$0")/.."
data="${1:?usage: bench_cpu_trainings.sh DATA_DIR [THREADS] [MODELS]}"
threads="${2:-2}"
models="${3:-barebones_fc,barebones_conv,module_fc,module_conv,sequential_fc,sequential_conv}"
ref="${EMBER_TORCH_BENCH:-../shared/bench/seed_models_torch.py}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; threads $threads"
echo "| training | PyTorch img/s | ember img/s | ember / PyTorch | PyTorch val | ember val |"
echo "|---|---:|---:|---:|---:|---:|"
IFS=, read -ra list <<< "$models"
for m in "${list[@]}"; do
  OMP_NUM_THREADS="$threads" /usr/bin/python3 -c "
import runpy, sys, torch
torch.set_num_threads($threads)
sys.argv = ['seed', '$data', '--device', 'cpu', '--only', '$m']
runpy.run_path('$ref', run_name='__main__')" > "$out/torch_$m.txt"
  ${EMBER_BUILD:-build}/tools/train_cifar --model "$m" --data "$data" --device cpu --threads "$threads" \
    --print-every 1000000 > "$out/ember_$m.txt" 2>/dev/null
  /usr/bin/python3 - "$m" "$out/torch_$m.txt" "$out/ember_$m.txt" <<'PY'
import json, sys
m, tfile, efile = sys.argv[1:]
t = next(l.split() for l in open(tfile) if l.startswith(m))
e = json.loads(open(efile).read().strip().splitlines()[-1])
tips, tval = float(t[4]), float(t[6])
print(f"| {m} | {tips:.0f} | {e['images_per_second']:.0f} | {e['images_per_second'] / tips:.2f}x | {tval:.3f} | {e['val_accuracy']:.3f} |")
PY
done
