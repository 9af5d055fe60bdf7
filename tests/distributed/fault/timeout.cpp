// ember_dist_fault: a rank that does not join a collective, started by ctest under mpirun
// (tests/distributed/CMakeLists.txt). Every rank but 1 calls an all_reduce with a 2 s timeout;
// rank 1 either stays alive without calling it ("behind": its worker thread still answers the
// others' question) or stops dead ("hung": SIGSTOP, nothing answers). The others' all_reduce
// fails with a message naming rank 1; rank 0 prints it and ends the job with
// distributed::abort (exit code 3), as a training program should: MPI cannot recover the
// communicator. ctest matches the printed message.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <thread>

#include "ember/distributed.h"
#include "ember/ember.h"

namespace dist = ember::distributed;

int main(int argc, char** argv) {
  const bool hung = argc > 1 && std::strcmp(argv[1], "hung") == 0;
  dist::init_process_group("mpi", std::chrono::seconds(2));
  ember::Tensor t = ember::ones({16}, ember::kFloat);
  dist::all_reduce(t);  // collective #1: everyone
  if (dist::get_rank() == 1) {
    if (hung) std::raise(SIGSTOP);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // until mpirun ends the job
  }
  try {
    dist::all_reduce(t);  // collective #2: rank 1 never calls it
  } catch (const ember::Error& e) {
    if (dist::get_rank() == 0) dist::abort(std::string("rank 0: ") + e.what(), 3);
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  std::fprintf(stderr, "rank %d: the all_reduce without rank 1 did not fail\n", dist::get_rank());
  return 1;
}
