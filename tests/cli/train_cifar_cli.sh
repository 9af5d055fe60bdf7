#!/usr/bin/env bash
# train_cifar rejects bad flags (exit 2) and bad data (exit 1) with a clear message, never a
# signal or an uncaught exception. usage: train_cifar_cli.sh PATH/TO/train_cifar
set -u
exe="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
expect() {  # expect CODE PATTERN -- ARGS...
  local code="$1" pattern="$2"
  shift 3
  "$exe" "$@" >"$tmp/out" 2>"$tmp/err"
  local got=$?
  if [ "$got" -ne "$code" ] || ! grep -q -- "$pattern" "$tmp/err"; then
    echo "FAIL: train_cifar $* -> exit $got (want $code), stderr:"; cat "$tmp/err"
    fails=$((fails + 1))
  else
    echo "ok: train_cifar $* -> $code: $(head -1 "$tmp/err")"
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
expect 1 "error: unknown model 'resnet'" -- --model resnet --data "$tmp/empty"
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/empty" --device cpu
expect 1 "does not exist\|not a folder\|missing" -- --model module_fc --data "$tmp/nope" --device cpu
expect 1 "data_batch_1.bin" -- --model module_fc --data "$tmp/short" --device cpu

# A folder of the official shape (5 x 10,000 records) built by doubling one record.
data="$tmp/cifar"
mkdir -p "$data"
{ printf '\003'; head -c 3072 /dev/urandom; } > "$tmp/rec"
for _ in $(seq 14); do cat "$tmp/rec" "$tmp/rec" > "$tmp/rec2"; mv "$tmp/rec2" "$tmp/rec"; done
for i in 1 2 3 4 5; do head -c 30730000 "$tmp/rec" > "$data/data_batch_$i.bin"; done
rm -f "$tmp/rec"
run() { "$exe" --model sequential_conv --data "$data" --device cpu --threads 1 --print-every 1000 "$@" >"$tmp/out" 2>"$tmp/err"; }

# Resume equivalence: 4 steps straight == 2 steps, save, resume, 2 more (byte-identical checkpoints).
n=12
if run --max-steps 4 --save "$tmp/a.st" && run --max-steps 2 --save "$tmp/b.st" &&
   run --max-steps 4 --resume "$tmp/b.st" --save "$tmp/c.st" && cmp -s "$tmp/a.st" "$tmp/c.st"; then
  echo "ok: a run resumed after 2 of 4 steps ends byte-identical to an uninterrupted one"
else
  echo "FAIL: resume equivalence"; cat "$tmp/err"; fails=$((fails + 1))
fi
n=$((n + 1))
expect 1 "nope.st" -- --model sequential_conv --data "$data" --device cpu --resume "$tmp/nope.st"
expect 1 "was saved by a run with model sequential_conv" -- --model module_conv --data "$data" --device cpu --resume "$tmp/b.st"
head -c 100 "$tmp/b.st" > "$tmp/short.st"
expect 1 "short.st" -- --model sequential_conv --data "$data" --device cpu --resume "$tmp/short.st"
expect 2 "--max-steps must be at least 0" -- --model sequential_conv --data "$data" --max-steps -1
n=$((n + 4))
echo "$((n - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
