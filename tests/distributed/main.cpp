// The runner of ember_dist_tests, started by mpirun on every rank: the default process group is
// created before the tests (MPI backend, 60 s timeout) and destroyed after. Only rank 0's report
// goes to stdout; another rank's report is kept and printed, each line prefixed with "[rank r] ",
// only when that rank failed. Every rank exits with 1 when any rank failed.
#if defined(EMBER_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

#include <iostream>
#include <sstream>
#include <string>

#include "ember/distributed.h"

namespace ember_test {
bool record_skip(const std::string&) { return true; }  // tests/helpers.cpp's hook; no skips here
}  // namespace ember_test

int main(int argc, char** argv) {
  namespace dist = ember::distributed;
  dist::init_process_group("mpi", std::chrono::seconds(60));
  const int rank = dist::get_rank();
  std::ostringstream captured;
  std::streambuf* stdout_buf = nullptr;
  if (rank != 0) stdout_buf = std::cout.rdbuf(captured.rdbuf());
  const int failed = Catch::Session().run(argc, argv);
  if (rank != 0) std::cout.rdbuf(stdout_buf);

  ember::Tensor any = ember::full({1}, int64_t(failed != 0), ember::kLong);
  dist::all_reduce(any, dist::ReduceOp::MAX);
  if (rank != 0 && failed != 0) {
    std::istringstream lines(captured.str());
    std::ostringstream prefixed;
    for (std::string line; std::getline(lines, line);) prefixed << "[rank " << rank << "] " << line << "\n";
    std::cerr << prefixed.str() << std::flush;
  }
  dist::destroy_process_group();
  return any.item<int64_t>() != 0 ? 1 : 0;
}
