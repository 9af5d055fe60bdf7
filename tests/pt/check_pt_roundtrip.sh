#!/usr/bin/env bash
# ember-convert against python3-torch: a torch.save'd state_dict goes to safetensors and back to
# .pt, and Python's torch.load reads ember's .pt with the original values; a file ember writes
# from safetensors that Python wrote itself (through ember's reader) also matches. Exits 4
# (skipped, tests/CMakeLists.txt) when /usr/bin/python3 has no torch.
#   check_pt_roundtrip.sh EMBER_CONVERT FIXTURES_DIR
set -euo pipefail
convert="$1"
fixtures="$2"
py=/usr/bin/python3
if ! [ -x "$py" ] || ! "$py" -c "import torch" 2>/dev/null; then
  echo "skipped: $py has no torch"
  exit 4
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$convert" "$fixtures/resnet_state_dict.pt" "$tmp/m.safetensors"
"$convert" "$tmp/m.safetensors" "$tmp/m.pt"
"$convert" "$fixtures/resnet_script.pt" "$tmp/script.pt"
"$convert" "$fixtures/transposed.pt" "$tmp/t.pt"
"$py" - "$fixtures" "$tmp" <<'PY'
import sys
import torch
fixtures, tmp = sys.argv[1], sys.argv[2]
want = torch.load(fixtures + "/resnet_state_dict.pt")
for name in ("m.pt", "script.pt"):
    got = torch.load(tmp + "/" + name)
    assert list(sorted(got)) == list(sorted(want)), (name, sorted(got), sorted(want))
    for k, v in want.items():
        assert got[k].dtype == v.dtype and torch.equal(got[k], v), (name, k)
t = torch.load(tmp + "/t.pt")["0"]
assert torch.equal(t, torch.arange(12, dtype=torch.float32).reshape(3, 4).t()), t
print("python torch.load reads ember's .pt files:", len(want), "tensors match")
PY
# Errors are messages and a non-zero exit, not crashes.
if "$convert" "$fixtures/bad_global.pt" "$tmp/x.safetensors" 2>"$tmp/err"; then
  echo "ember-convert accepted a hostile file"; exit 1
fi
grep -q "is not allowed" "$tmp/err"
echo "ok"
