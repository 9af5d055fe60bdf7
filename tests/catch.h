#pragma once
// One include for Catch2 v2 (Debian's catch2/catch.hpp) and v3 (catch2/catch_all.hpp).
// tests/CMakeLists.txt defines EMBER_CATCH2_V3 when it found v3.
#include <sstream>
#include <string>

#if defined(EMBER_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

namespace ember_test {
/// Records that the running test case leaves something out (all of the rest, or one device's
/// part) for `reason`; false when it already did for the same reason (the caller warns only
/// once). tests/main.cpp reports a test case with such a record and no failure as skipped, not
/// passed, and exits with the skip code ctest knows.
bool record_skip(const std::string& reason);
}  // namespace ember_test

// Skips the rest of a test case with a reason: v3 (3.3+) has SKIP; elsewhere the skip is
// recorded (record_skip) and the test case returns.
#if defined(SKIP)
#define EMBER_SKIP(msg) SKIP(msg)
#else
#define EMBER_SKIP(msg)                                                                                   \
  do {                                                                                                    \
    std::ostringstream ember_skip_reason_;                                                                \
    ember_skip_reason_ << msg;                                                                            \
    if (ember_test::record_skip(ember_skip_reason_.str())) WARN("skipped: " << ember_skip_reason_.str()); \
    return;                                                                                               \
  } while (0)
#endif
