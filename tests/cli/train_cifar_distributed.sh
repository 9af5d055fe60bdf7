#!/usr/bin/env bash
# train_cifar --distributed under mpirun (2 processes): the same parameters as one process with the
# doubled batch; a resumed run byte-identical to an uninterrupted one; ranks launched with different
# flags refused; a rank killed by SIGKILL ends the job with a message. Every mpirun runs under
# `timeout`, so a hang fails this test instead of stalling CI.
# usage: train_cifar_distributed.sh MPIEXEC PATH/TO/train_cifar
set -u
mpiexec="$1" exe="$2"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; tail -20 "$tmp/err" 2>/dev/null; fails=$((fails + 1)); }

# Data of the official shape: 10,000 random records (labels 0-9) repeated in the 5 batch files.
data="$tmp/cifar"
mkdir -p "$data"
head -c 30730000 /dev/urandom > "$tmp/rec"
perl -e 'open(my $f, "+<:raw", $ARGV[0]) or die; for my $i (0 .. 9999) { seek($f, $i * 3073, 0); read($f, my $b, 1);
  seek($f, $i * 3073, 0); print $f chr(ord($b) % 10); } close($f);' "$tmp/rec"
for i in 1 2 3 4 5; do cp "$tmp/rec" "$data/data_batch_$i.bin"; done
rm -f "$tmp/rec"

common=(--model sequential_conv --data "$data" --device cpu --threads 1 --print-every 1000)
dist() { timeout 300 "$mpiexec" --oversubscribe -np 2 "$exe" --distributed "${common[@]}" "$@" >"$tmp/out" 2>"$tmp/err"; }
one() { timeout 300 "$exe" "${common[@]}" "$@" >"$tmp/out" 2>"$tmp/err"; }

# The checkpoints' parameters (safetensors: 8-byte header length, JSON header, data) compared:
# prints the largest max|a - b| / max|b| over the model's tensors.
py=""
for cand in /usr/bin/python3 python3; do
  if command -v "$cand" >/dev/null && "$cand" -c "import numpy" 2>/dev/null; then py="$cand"; break; fi
done
compare() {
  "$py" - "$1" "$2" <<'PY'
import json, struct, sys
import numpy as np
def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    head = json.loads(b[8:8 + n])
    out = {}
    for k, v in head.items():
        if k.startswith("model.") and v["dtype"] == "F32":
            s, e = v["data_offsets"]
            out[k] = np.frombuffer(b[8 + n + s:8 + n + e], dtype="<f4")
    return out
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys() and a
print(max(float(np.abs(a[k] - b[k]).max() / max(np.abs(b[k]).max(), 1e-30)) for k in a))
PY
}

# 1. Two ranks with batch 4 each follow one process with batch 8 (rel 1e-5); one process with
#    batch 4 (a different training) is far from it, so the comparison can tell.
if dist --batch-size 4 --max-steps 5 --save "$tmp/d.st" && grep -q '"world_size": 2' "$tmp/out" &&
   one --batch-size 8 --max-steps 5 --save "$tmp/s8.st" && one --batch-size 4 --max-steps 5 --save "$tmp/s4.st"; then
  if [ -n "$py" ]; then
    same=$(compare "$tmp/d.st" "$tmp/s8.st") other=$(compare "$tmp/d.st" "$tmp/s4.st")
    if "$py" -c "import sys; sys.exit(0 if $same < 1e-5 and $other > 1e-3 else 1)"; then
      pass "2 ranks x batch 4 == 1 process x batch 8 (rel $same; batch 4 alone: $other)"
    else
      fail "2 ranks x batch 4 vs 1 process x batch 8: rel $same (want < 1e-5); vs batch 4: $other (want > 1e-3)"
    fi
  else
    echo "skip: the parameter comparison needs python3 with numpy"
  fi
else
  fail "the 2-rank or the 1-process training failed"
fi

# 2. Resumed after 2 of 4 steps: byte-identical to 4 steps straight.
if dist --batch-size 4 --max-steps 4 --save "$tmp/a.st" && dist --batch-size 4 --max-steps 2 --save "$tmp/b.st" &&
   dist --batch-size 4 --max-steps 4 --resume "$tmp/b.st" --save "$tmp/c.st" && cmp -s "$tmp/a.st" "$tmp/c.st"; then
  pass "a 2-rank run resumed after 2 of 4 steps ends byte-identical to an uninterrupted one"
else
  fail "2-rank resume equivalence"
fi

# 3. Ranks launched with different flags: refused at start-up, naming the rank.
timeout 300 "$mpiexec" --oversubscribe -np 1 "$exe" --distributed "${common[@]}" --batch-size 4 : \
  -np 1 "$exe" --distributed "${common[@]}" --batch-size 8 >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q "different training flags: rank(s) 1 differ from rank 0" "$tmp/err"; then
  pass "mismatched launches refused: $(grep -m1 'different training flags' "$tmp/err")"
else
  fail "mismatched launches -> exit $rc, no message naming rank 1"
fi

# 4. A rank killed with SIGKILL mid-run ends the job with a message, well within --dist-timeout.
timeout 240 "$mpiexec" --oversubscribe -np 2 "$exe" --distributed "${common[@]}" --batch-size 4 --dist-timeout 60 \
  --save "$tmp/k.st" --save-every 1 >"$tmp/out" 2>"$tmp/err" &
job=$!
for _ in $(seq 600); do grep -q "Saved .*, 2 steps" "$tmp/out" 2>/dev/null && break; sleep 0.2; done
victim=$(ps -o pid= --ppid "$(pgrep -P $job | head -1)" 2>/dev/null | tail -1)
[ -z "$victim" ] && victim=$(pgrep -P "$(pgrep -P $job | head -1)" | tail -1)
if [ -n "$victim" ]; then kill -9 "$victim"; fi
wait "$job"
rc=$?
if [ -z "$victim" ]; then
  fail "no rank process found to kill"
elif [ "$rc" -eq 124 ]; then
  fail "the job still ran 240 s after a rank was killed"
elif [ "$rc" -ne 0 ] && grep -q "signal 9\|did not join\|lost" "$tmp/out" "$tmp/err"; then
  pass "a killed rank ended the job (exit $rc): $(grep -h -m1 'signal 9\|did not join\|lost' "$tmp/out" "$tmp/err")"
else
  fail "a killed rank -> exit $rc without a message about it"
fi

[ "$fails" -eq 0 ] && echo "all passed" || echo "$fails failed"
exit $((fails != 0))
