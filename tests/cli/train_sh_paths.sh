#!/usr/bin/env bash
# tools/train.sh keeps the caller's folder: relative --data (and $EMBER_CIFAR10_DIR) paths are
# read from there. EMBER_TRAIN_CIFAR points it at the built binary, so nothing is rebuilt.
# usage: train_sh_paths.sh PATH/TO/train_cifar
set -u
exe="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
script="$(cd "$(dirname "$0")/../../tools" && pwd)/train.sh"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
check() {  # check NAME: the run must have read rel/data_batch_1.bin beside the caller
  if [ "$got" -eq 1 ] && grep -q "rel/data_batch_1.bin' is truncated" "$tmp/err"; then
    echo "ok: $1: $(grep error "$tmp/err")"
  else
    echo "FAIL: $1 -> exit $got (want 1, the truncated rel/data_batch_1.bin), stderr:"
    cat "$tmp/err"
    fails=$((fails + 1))
  fi
}
# A folder whose first batch is one record: train_cifar stops there, naming the file it read.
mkdir -p "$tmp/caller/rel"
head -c 3073 /dev/zero > "$tmp/caller/rel/data_batch_1.bin"
cp "$tmp/caller/rel/data_batch_1.bin" "$tmp/caller/rel/data_batch_5.bin"  # so train.sh prepares nothing
cd "$tmp/caller"
EMBER_TRAIN_CIFAR="$exe" "$script" --data rel --device cpu >"$tmp/out" 2>"$tmp/err"
got=$?
check "tools/train.sh --data rel"
EMBER_TRAIN_CIFAR="$exe" EMBER_CIFAR10_DIR=rel "$script" --device cpu >"$tmp/out" 2>"$tmp/err"
got=$?
check "EMBER_CIFAR10_DIR=rel tools/train.sh"
[ "$fails" -eq 0 ]
