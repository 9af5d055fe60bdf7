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
echo "$((12 - fails)) passed, $fails failed"
[ "$fails" -eq 0 ]
