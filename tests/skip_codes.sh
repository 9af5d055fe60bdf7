#!/usr/bin/env bash
# The exit codes ctest sees from ember_tests (tests/main.cpp): 4 (SKIP_RETURN_CODE) when every
# test case run skipped in whole or in part, 1 on any failure, 0 otherwise; and a [cuda] case
# skips without a GPU but fails with EMBER_TEST_REQUIRE_GPU=1. usage: skip_codes.sh PATH/TO/ember_tests
set -u
exe="$1"
fails=0
expect() {  # expect CODE SPEC [ENV=VALUE]
  local code="$1" spec="$2"
  shift 2
  env "$@" "$exe" "$spec" >/dev/null 2>&1
  local got=$?
  if [ "$got" -ne "$code" ]; then
    echo "FAIL: $* ember_tests '$spec' -> exit $got (want $code)"
    fails=$((fails + 1))
  else
    echo "ok: $* ember_tests '$spec' -> $got"
  fi
}
expect 4 "[.skip_selftest][whole]"
expect 4 "[.skip_selftest][part]"
expect 1 "[.skip_selftest][fail]"
expect 0 "[.skip_selftest][pass]"
expect 0 "[.skip_selftest][pass],[.skip_selftest][whole]"   # not every case skipped
expect 1 "[.skip_selftest][pass],[.skip_selftest][fail],[.skip_selftest][whole]"
# With a GPU the case passes either way; without one it skips, or fails when a GPU is demanded.
env EMBER_TEST_REQUIRE_GPU=0 "$exe" "[.skip_selftest][gpu]" >/dev/null 2>&1
plain=$?
if [ "$plain" -eq 0 ]; then
  expect 0 "[.skip_selftest][gpu]" EMBER_TEST_REQUIRE_GPU=1
else
  expect 4 "[.skip_selftest][gpu]" EMBER_TEST_REQUIRE_GPU=0
  expect 1 "[.skip_selftest][gpu]" EMBER_TEST_REQUIRE_GPU=1
fi
[ "$fails" -eq 0 ]
