// ember_dist_killed: rank 1 is killed by SIGKILL while rank 0 waits in an all_reduce with the
// default 300 s timeout; mpirun must end the job at once (tests/distributed/killed_rank.sh).
#include <csignal>
#include <cstdio>

#include "ember/distributed.h"
#include "ember/ember.h"

namespace dist = ember::distributed;

int main() {
  dist::init_process_group("mpi");
  ember::Tensor t = ember::ones({16}, ember::kFloat);
  dist::all_reduce(t);
  if (dist::get_rank() == 1) std::raise(SIGKILL);
  dist::all_reduce(t);
  std::fprintf(stderr, "rank %d: the all_reduce after rank 1 was killed returned\n", dist::get_rank());
  return 1;
}
