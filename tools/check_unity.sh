#!/usr/bin/env bash
# CI compiles the library as a unity build (batches of sources as one file, .ci/run), where two
# files' file-local names (anonymous namespaces, statics) must not collide. This checks that in a
# few minutes instead of a full build: it configures build-unity-check with CMAKE_UNITY_BUILD=ON
# (CUDA too when nvcc is there) and parses each batch with -fsyntax-only. Code generation errors
# (an always_inline vector function outside its target) show only in a real build.
# usage: tools/check_unity.sh        (exit status 1 and the compiler's errors on a collision)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${CUDACXX:-}" ] && [ -x /usr/local/cuda/bin/nvcc ]; then export CUDACXX=/usr/local/cuda/bin/nvcc; fi
cmake -S . -B build-unity-check -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_UNITY_BUILD=ON \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_TOOLS=OFF >/dev/null
python3 - build-unity-check <<'EOF'
import json, re, subprocess, sys
build = sys.argv[1]
failed = 0
for e in json.load(open(f"{build}/compile_commands.json")):
    if "/Unity/" not in e["file"]:
        continue
    cmd = re.sub(r" -o \S+", " -fsyntax-only", e["command"]).replace(" -O3 ", " -O0 ")
    r = subprocess.run(cmd, shell=True, cwd=e["directory"], capture_output=True, text=True)
    errors = [l for l in r.stderr.splitlines() if "error" in l]
    print(f"{e['file']}: {'ok' if r.returncode == 0 else 'FAILED'}")
    for line in errors[:10]:
        print("   ", line)
    failed += r.returncode != 0
sys.exit(1 if failed else 0)
EOF
