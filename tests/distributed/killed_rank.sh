#!/usr/bin/env bash
# A rank killed by SIGKILL mid-run ends the whole mpirun job with a message, well within the
# collective's timeout (300 s): OpenMPI's mpirun notices the dead process and kills the others.
# Usage: killed_rank.sh MPIEXEC ember_dist_killed
set -u
mpiexec="$1" prog="$2"
out=$(timeout 120 "$mpiexec" --oversubscribe -np 2 "$prog" 2>&1)
rc=$?
echo "$out"
if [ "$rc" -eq 124 ]; then
  echo "FAIL: mpirun still running after 120 s (a killed rank hung the job)"
  exit 1
fi
if [ "$rc" -eq 0 ]; then
  echo "FAIL: mpirun exited 0 although rank 1 was killed"
  exit 1
fi
if ! grep -q "exited on signal 9 (Killed)" <<<"$out"; then
  echo "FAIL: mpirun's message about the killed rank is missing"
  exit 1
fi
echo "OK: mpirun ended the job (exit $rc) after rank 1 was killed"
