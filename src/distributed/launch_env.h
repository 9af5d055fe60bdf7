#pragma once
// What the launcher says about this process: its rank, the world size and its rank on its
// machine, from OpenMPI/PMIx, Slurm or torchrun's environment variables (process_group.cpp).
#include <string>

namespace ember {
namespace distributed {

struct LaunchEnv {
  int rank = -1;  // -1: not given
  int size = -1;
  int local_rank = -1;
  std::string source;  // the variables they came from ("OMPI_COMM_WORLD_RANK/SIZE"), empty if none
};

/// Reads the first launcher's variables found, in the order OpenMPI, PMIx, Slurm, torchrun; a
/// variable that is set but not a number is an ember::Error naming it.
LaunchEnv launch_env();

}  // namespace distributed
}  // namespace ember
