#pragma once
// One include for Catch2 v2 (Debian's catch2/catch.hpp) and v3 (catch2/catch_all.hpp).
// tests/CMakeLists.txt defines EMBER_CATCH2_V3 when it found v3.
#if defined(EMBER_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

// Skips the rest of a test case with a reason: v3 (3.3+) reports it as skipped; v2 has no
// skip, so it records a warning and returns.
#if defined(SKIP)
#define EMBER_SKIP(msg) SKIP(msg)
#else
#define EMBER_SKIP(msg) \
  do {                  \
    WARN(msg);          \
    return;             \
  } while (0)
#endif
