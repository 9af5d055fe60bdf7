// The test runner: Catch2's session, plus an honest account of skips for ctest. A test case that
// skipped (EMBER_SKIP, or Catch2 v3's SKIP) and failed nothing counts as skipped; a run whose
// every test case was skipped exits with kSkipExitCode, which tests/CMakeLists.txt gives ctest as SKIP_RETURN_CODE, so
// a GPU-less CI lists those tests as not run rather than passed. A failure always exits 1.
#if defined(EMBER_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "catch.h"

namespace {

// Catch2 v3's own code for "every test case was skipped"; tests/CMakeLists.txt uses the same.
constexpr int kSkipExitCode = 4;

struct Tally {
  std::string current;               // the running test case
  std::vector<std::string> reasons;  // its skips so far
  int ran = 0, failed = 0;
  std::vector<std::string> skipped;  // "name: reason; reason"
};

Tally& tally() {
  static Tally t;
  return t;
}

#if defined(EMBER_CATCH2_V3)
using ListenerBase = Catch::EventListenerBase;
#else
using ListenerBase = Catch::TestEventListenerBase;
#endif

class SkipListener : public ListenerBase {
 public:
  using ListenerBase::ListenerBase;

  void testCaseStarting(const Catch::TestCaseInfo& info) override {
    ListenerBase::testCaseStarting(info);
    tally().current = info.name;
    tally().reasons.clear();
  }

  void testCaseEnded(const Catch::TestCaseStats& stats) override {
    Tally& t = tally();
    ++t.ran;
#if defined(EMBER_CATCH2_V3) && defined(SKIP)
    if (stats.totals.testCases.skipped > 0 && t.reasons.empty()) t.reasons.push_back("SKIP (reason above)");
#endif
    if (stats.totals.assertions.failed > 0) {
      ++t.failed;
    } else if (!t.reasons.empty()) {
      std::string line = t.current + ": ";
      for (size_t i = 0; i < t.reasons.size(); ++i) line += (i ? "; " : "") + t.reasons[i];
      t.skipped.push_back(line);
    }
    ListenerBase::testCaseEnded(stats);
  }
};

}  // namespace

CATCH_REGISTER_LISTENER(SkipListener)

namespace ember_test {

bool record_skip(const std::string& reason) {
  auto& reasons = tally().reasons;
  if (std::find(reasons.begin(), reasons.end(), reason) != reasons.end()) return false;
  reasons.push_back(reason);
  return true;
}

}  // namespace ember_test

int main(int argc, char* argv[]) {
  const int rc = Catch::Session().run(argc, argv);
  const Tally& t = tally();
  if (!t.skipped.empty()) {
    std::cout << t.skipped.size() << " of " << t.ran << " test cases skipped (in whole or in part):\n";
    for (const std::string& line : t.skipped) std::cout << "  " << line << "\n";
  }
  if (t.failed > 0) return 1;  // never the skip code, however many failed
  if (rc != 0) return rc;      // Catch2's own verdicts (bad arguments, no test matched)
  if (t.ran > 0 && int(t.skipped.size()) == t.ran) return kSkipExitCode;
  return 0;
}
