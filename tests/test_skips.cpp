// The skip accounting of tests/main.cpp. The hidden [.skip_selftest] cases are run one at a time
// by tests/skip_codes.sh (ctest skip_codes), which checks each exit code: a skip must reach ctest
// as skipped, a failure as a failure even when the case also skipped, and a pass as a pass.
#include "helpers.h"

#include <cstdlib>

TEST_CASE("skips: EMBER_TEST_REQUIRE_GPU=1, and only that, demands a GPU", "[helpers]") {
  const char* old = std::getenv("EMBER_TEST_REQUIRE_GPU");
  const std::string saved = old != nullptr ? old : "";
  ::setenv("EMBER_TEST_REQUIRE_GPU", "1", 1);
  CHECK(ember_test::gpu_required());
  ::setenv("EMBER_TEST_REQUIRE_GPU", "0", 1);
  CHECK_FALSE(ember_test::gpu_required());
  ::unsetenv("EMBER_TEST_REQUIRE_GPU");
  CHECK_FALSE(ember_test::gpu_required());
  if (old != nullptr) ::setenv("EMBER_TEST_REQUIRE_GPU", saved.c_str(), 1);
}

TEST_CASE("skip self-test: skipped entirely", "[.skip_selftest][whole]") {
  CHECK(1 + 1 == 2);
  EMBER_SKIP("self-test: the rest needs something this machine lacks");
}

TEST_CASE("skip self-test: skipped in part", "[.skip_selftest][part]") {
  CHECK(ember_test::record_skip("self-test: one part"));
  CHECK_FALSE(ember_test::record_skip("self-test: one part"));  // once per test case
  // The rest ran.
  CHECK(1 + 1 == 2);
}

TEST_CASE("skip self-test: failed, then skipped", "[.skip_selftest][fail]") {
  CHECK(1 + 1 == 3);
  EMBER_SKIP("self-test: a skip after a failure");
}

TEST_CASE("skip self-test: passed", "[.skip_selftest][pass]") { CHECK(1 + 1 == 2); }

TEST_CASE("skip self-test: needs a GPU", "[.skip_selftest][gpu]") {
  EMBER_REQUIRE_CUDA();
  CHECK(ember::cuda::is_available());
}
