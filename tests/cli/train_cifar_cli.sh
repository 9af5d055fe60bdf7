#!/usr/bin/env bash
# train_cifar rejects bad flags (exit 2) and bad data (exit 1) with a clear message, never a
# signal or an uncaught exception. usage: train_cifar_cli.sh PATH/TO/train_cifar
# docs/reliability.md quotes the messages; keep the two in step.
set -u
exe="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
total=0
pass() { echo "ok: $*"; total=$((total + 1)); }
fail() { echo "FAIL: $*"; cat "$tmp/err"; total=$((total + 1)); fails=$((fails + 1)); }
expect() {  # expect CODE PATTERN -- ARGS...
  local code="$1" pattern="$2"
  shift 3
  "$exe" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/err"; then
    fail "train_cifar $* -> exit $got (want $code), stderr:"
  else
    pass "train_cifar $* -> $code: $(head -1 "$tmp/err")"
  fi
}
mkdir -p "$tmp/empty" "$tmp/short"
head -c 3073 /dev/zero > "$tmp/short/data_batch_1.bin"
expect 2 "--model is required" -- --data "$tmp/empty"
expect 2 "--data is required" -- --model module_fc
expect 2 "unknown flag --bogus" -- --model module_fc --data "$tmp/empty" --bogus 1
expect 2 "bad value 'abc' for --epochs" -- --model module_fc --data "$tmp/empty" --epochs abc
expect 2 "missing value for --lr" -- --model module_fc --data "$tmp/empty" --lr
expect 2 "--lr must be a positive number" -- --model module_fc --data "$tmp/empty" --lr -1
expect 2 "--batch-size must be at least 1" -- --model module_fc --data "$tmp/empty" --batch-size 0
expect 2 "--device must be cpu or cuda" -- --model module_fc --data "$tmp/empty" --device tpu
expect 2 "--epochs must be at least 1" -- --model module_fc --data "$tmp/empty" --epochs 0
expect 2 "--print-every must be at least 1" -- --model module_fc --data "$tmp/empty" --print-every 0
expect 2 "--threads must be 0 (all cores) or more" -- --model module_fc --data "$tmp/empty" --threads -1
expect 2 "--momentum must be in \[0, 1)" -- --model module_fc --data "$tmp/empty" --momentum 1.5
# module_fc's default momentum is 0, so Nesterov has nothing to work with.
expect 2 "--nesterov needs a positive --momentum" -- --model module_fc --data "$tmp/empty" --device cpu --nesterov
expect 1 "error: unknown model 'resnet'" -- --model resnet --data "$tmp/empty"
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/empty" --device cpu
expect 1 "does not exist\|not a folder\|missing" -- --model module_fc --data "$tmp/nope" --device cpu
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/short" --device cpu

# --device cuda without a usable GPU (a build without CUDA, no driver, no device) stops before
# touching the data. Where a GPU is usable, the run gets past that check to the empty folder.
"$exe" --model module_fc --data "$tmp/empty" --device cuda >"$tmp/out" 2>"$tmp/err"
got=$?
if [ "$got" -eq 1 ] && grep -q -- "--device cuda, but no GPU is usable: ." "$tmp/err"; then
  pass "train_cifar --device cuda without a usable GPU -> 1: $(head -1 "$tmp/err")"
elif [ "$got" -eq 1 ] && grep -q -- "data_batch_1.bin" "$tmp/err"; then
  pass "train_cifar --device cuda: a GPU is usable here, and the run got past the device check to the data"
else
  fail "train_cifar --device cuda without a usable GPU -> exit $got (want 1, 'no GPU is usable'), stderr:"
fi

# A folder of the official shape (5 x 10,000 records) built by doubling one record.
data="$tmp/cifar"
mkdir -p "$data"
{ printf '\003'; head -c 3072 /dev/urandom; } > "$tmp/rec"
for _ in $(seq 14); do cat "$tmp/rec" "$tmp/rec" > "$tmp/rec2"; mv "$tmp/rec2" "$tmp/rec"; done
for i in 1 2 3 4 5; do head -c 30730000 "$tmp/rec" > "$data/data_batch_$i.bin"; done
rm -f "$tmp/rec"
run() { "$exe" --model sequential_conv --data "$data" --device cpu --threads 1 --print-every 1000 "$@" >"$tmp/out" 2>"$tmp/err"; }

# Resume equivalence: 4 steps straight == 2 steps, save, resume, 2 more (byte-identical checkpoints).
if run --max-steps 4 --save "$tmp/a.st" && run --max-steps 2 --save "$tmp/b.st" &&
   run --max-steps 4 --resume "$tmp/b.st" --save "$tmp/c.st" && cmp -s "$tmp/a.st" "$tmp/c.st"; then
  pass "a run resumed after 2 of 4 steps ends byte-identical to an uninterrupted one"
else
  fail "resume equivalence"
fi
cpu=(--data "$data" --device cpu --threads 1)
expect 1 "cannot open '$tmp/nope.st': No such file or directory" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/nope.st"
expect 1 "was saved by a run with model sequential_conv" -- --model module_conv "${cpu[@]}" --resume "$tmp/b.st"
expect 1 "was saved by a run with seed 0, but this run has seed 1" -- --model sequential_conv "${cpu[@]}" --seed 1 --resume "$tmp/b.st"
expect 1 "with batch_size 64, but this run has batch_size 32" -- --model sequential_conv "${cpu[@]}" --batch-size 32 --resume "$tmp/b.st"
head -c 100 "$tmp/b.st" > "$tmp/short.st"
expect 1 "short.st.*(the file is truncated)" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/short.st"
# Cut inside the data section (an interrupted copy): the last tensor runs past the end.
head -c $(($(wc -c < "$tmp/b.st") - 10)) "$tmp/b.st" > "$tmp/cut.st"
expect 1 "cut.st': tensor \"rng_state\": data_offsets .* run past the data section" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/cut.st"
printf 'not a checkpoint, just text\n' > "$tmp/text.st"
expect 1 "text.st.*-byte limit (not a safetensors file, or a corrupt one)" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/text.st"
# A checkpoint whose header is valid JSON but whose position is not a number (same length, so
# the header length still fits).
perl -0777 -pe 's/"steps":"2"/"steps":"x"/' "$tmp/b.st" > "$tmp/meta.st"
expect 1 "metadata \"steps\" is 'x', expected a non-negative integer" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/meta.st"
# A safetensors file that is not a train_cifar checkpoint (no "model" metadata).
perl -0777 -pe 's/"model":"/"mode1":"/' "$tmp/b.st" > "$tmp/nomodel.st"
expect 1 "nomodel.st' has no metadata \"model\"" -- --model sequential_conv "${cpu[@]}" --resume "$tmp/nomodel.st"
expect 2 "--max-steps must be at least 0" -- --model sequential_conv --data "$data" --max-steps -1

# Runtime failures once the data has loaded: a --log path that cannot be created, and a loss
# that overflows (the CPU reads the loss every step, so the first non-finite one stops the run).
expect 1 "cannot open --log file '$tmp/no/such/dir/log.csv' for writing" -- --model module_fc "${cpu[@]}" --max-steps 1 --log "$tmp/no/such/dir/log.csv"
expect 1 "the loss became .* lower --lr (now " -- --model module_fc "${cpu[@]}" --max-steps 20 --lr 1e30
echo "$((total - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
