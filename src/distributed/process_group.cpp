// ember::distributed's front half: the Work and ProcessGroup base classes, the launcher's
// environment, the default group and torch.distributed's free functions, and the entry points of
// backends that were not built (an ember::Error naming the CMake option).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "../check.h"
#include "ember/cuda.h"
#include "ember/distributed.h"
#include "launch_env.h"

namespace ember {
namespace distributed {

Work::~Work() = default;
void Work::synchronize() { wait(); }
std::vector<Tensor> Work::result() { return {}; }

ProcessGroup::ProcessGroup(int rank, int size) : rank_(rank), size_(size) {
  EMBER_CHECK(size > 0 && rank >= 0 && rank < size, "ProcessGroup: rank ", rank, " is out of range for size ", size);
}
ProcessGroup::~ProcessGroup() = default;

// --- the launcher's environment -------------------------------------------------------------------

namespace {

/// The variable's value as a non-negative int; -1 when unset.
int env_int(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return -1;
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  EMBER_CHECK(*end == '\0' && errno == 0 && x >= 0 && x <= 1 << 30, "ember::distributed: the environment variable ",
              name, "='", v, "' is not a rank or a size (a non-negative integer)");
  return int(x);
}

}  // namespace

LaunchEnv launch_env() {
  struct Scheme {
    const char *rank, *size, *local, *source;
  };
  const Scheme schemes[] = {
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK", "OpenMPI (OMPI_COMM_WORLD_*)"},
      {"PMIX_RANK", nullptr, nullptr, "PMIx (PMIX_RANK)"},
      {"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "Slurm (SLURM_PROCID/NTASKS/LOCALID)"},
      {"RANK", "WORLD_SIZE", "LOCAL_RANK", "torchrun (RANK/WORLD_SIZE/LOCAL_RANK)"},
  };
  LaunchEnv env;
  for (const Scheme& s : schemes) {
    env.rank = env_int(s.rank);
    if (env.rank < 0) continue;
    env.size = s.size ? env_int(s.size) : -1;
    env.local_rank = s.local ? env_int(s.local) : -1;
    env.source = s.source;
    EMBER_CHECK(env.size < 0 || env.rank < env.size, "ember::distributed: ", s.source, " gives rank ", env.rank,
                " in a world of ", env.size, " processes");
    return env;
  }
  return LaunchEnv{};
}

// --- the default group --------------------------------------------------------------------------

namespace {

struct DefaultGroup {
  std::mutex lock;
  std::shared_ptr<ProcessGroup> group;
  std::string backend;
  int local_rank = 0;
};

DefaultGroup& state() {
  static DefaultGroup s;
  return s;
}

}  // namespace

bool is_mpi_available() {
#if EMBER_HAVE_MPI
  return true;
#else
  return false;
#endif
}

bool is_nccl_available() {
#if EMBER_HAVE_NCCL
  return true;
#else
  return false;
#endif
}

bool is_available() { return is_mpi_available() || is_nccl_available(); }

void init_process_group(const std::string& backend, std::chrono::milliseconds timeout) {
  DefaultGroup& s = state();
  std::lock_guard<std::mutex> g(s.lock);
  EMBER_CHECK(!s.group, "init_process_group: trying to initialize the default process group twice!");
  std::string name = backend;
  if (name.empty()) name = is_nccl_available() && cuda::is_available() ? "nccl" : "mpi";
  EMBER_CHECK(name == "mpi" || name == "nccl", "init_process_group: Invalid backend: '", backend,
              "' (ember has 'mpi' and 'nccl')");
  const LaunchEnv env = launch_env();
  std::shared_ptr<ProcessGroup> group =
      name == "mpi" ? createProcessGroupMPI(timeout) : createProcessGroupNCCL(timeout);
  if (!env.source.empty()) {
    EMBER_CHECK(env.rank == group->getRank() && (env.size < 0 || env.size == group->getSize()),
                "init_process_group: the launcher's ", env.source, " says rank ", env.rank, " of ", env.size,
                ", but MPI numbers this process rank ", group->getRank(), " of ", group->getSize(),
                " (start the program with one launcher, or unset the stale variables)");
  }
  s.group = group;
  s.backend = name;
  s.local_rank = env.local_rank >= 0 ? env.local_rank : 0;
}

bool is_initialized() {
  std::lock_guard<std::mutex> g(state().lock);
  return state().group != nullptr;
}

void destroy_process_group() {
  std::shared_ptr<ProcessGroup> group;
  {
    std::lock_guard<std::mutex> g(state().lock);
    group.swap(state().group);
    state().backend.clear();
  }
  // The group's destructor runs here (after its queued work), outside the lock.
}

std::shared_ptr<ProcessGroup> default_group() {
  std::lock_guard<std::mutex> g(state().lock);
  EMBER_CHECK(state().group,
              "Default process group has not been initialized, please make sure to call "
              "init_process_group.");
  return state().group;
}

int get_rank() { return default_group()->getRank(); }
int get_world_size() { return default_group()->getSize(); }

int get_local_rank() {
  {
    std::lock_guard<std::mutex> g(state().lock);
    if (state().group) return state().local_rank;
  }
  const LaunchEnv env = launch_env();
  return env.local_rank >= 0 ? env.local_rank : 0;
}

std::string get_backend() {
  default_group();
  std::lock_guard<std::mutex> g(state().lock);
  return state().backend;
}

// --- torch.distributed's collectives on the default group --------------------------------------

namespace {
std::shared_ptr<Work> finish(std::shared_ptr<Work> work, bool async_op) {
  if (!async_op) work->wait();
  return work;
}
}  // namespace

std::shared_ptr<Work> all_reduce(Tensor& tensor, ReduceOp op, bool async_op) {
  std::vector<Tensor> tensors{tensor};
  AllreduceOptions opts;
  opts.reduceOp = op;
  return finish(default_group()->allreduce(tensors, opts), async_op);
}

std::shared_ptr<Work> broadcast(Tensor& tensor, int src, bool async_op) {
  std::vector<Tensor> tensors{tensor};
  BroadcastOptions opts;
  opts.rootRank = src;
  return finish(default_group()->broadcast(tensors, opts), async_op);
}

std::shared_ptr<Work> all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor, bool async_op) {
  std::vector<std::vector<Tensor>> outputs{tensor_list};
  std::vector<Tensor> inputs{tensor};
  return finish(default_group()->allgather(outputs, inputs), async_op);
}

std::shared_ptr<Work> reduce_scatter(Tensor& output, std::vector<Tensor>& input_list, ReduceOp op, bool async_op) {
  std::vector<Tensor> outputs{output};
  std::vector<std::vector<Tensor>> inputs{input_list};
  ReduceScatterOptions opts;
  opts.reduceOp = op;
  return finish(default_group()->reduce_scatter(outputs, inputs, opts), async_op);
}

std::shared_ptr<Work> barrier(bool async_op) { return finish(default_group()->barrier(), async_op); }

void send(const Tensor& tensor, int dst, int tag) {
  std::vector<Tensor> tensors{tensor};
  default_group()->send(tensors, dst, tag)->wait();
}

int recv(Tensor& tensor, int src, int tag) {
  std::vector<Tensor> tensors{tensor};
  default_group()->recv(tensors, src, tag)->wait();
  return src;
}

// --- backends that were not built ---------------------------------------------------------------

#if !EMBER_HAVE_MPI
std::shared_ptr<ProcessGroup> createProcessGroupMPI(std::chrono::milliseconds) {
  throw Error(
      "createProcessGroupMPI: ember was built without the MPI backend; reconfigure with -DEMBER_MPI=ON (needs MPI; "
      "Debian: apt install libopenmpi-dev openmpi-bin)");
}

void abort(const std::string& message, int exit_code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  std::_Exit(exit_code);
}
#endif

#if !EMBER_HAVE_NCCL
std::shared_ptr<ProcessGroup> createProcessGroupNCCL(std::chrono::milliseconds) {
  throw Error(
      "createProcessGroupNCCL: ember was built without the NCCL backend; reconfigure with -DEMBER_NCCL=ON (needs the "
      "CUDA backend, MPI and NCCL from the CUDA toolkit)");
}
#endif

// c10d's spelling of the MPI factory (the group is made by whichever createProcessGroupMPI this
// build has: the backend's, or the stub that says how to build it).
std::shared_ptr<ProcessGroupMPI> ProcessGroupMPI::createProcessGroupMPI(std::vector<int> ranks) {
  auto pg = std::static_pointer_cast<ProcessGroupMPI>(distributed::createProcessGroupMPI(kDefaultTimeout));
  if (!ranks.empty()) {
    std::sort(ranks.begin(), ranks.end());
    bool all = int(ranks.size()) == pg->getSize();
    for (size_t i = 0; all && i < ranks.size(); ++i) all = ranks[i] == int(i);
    EMBER_CHECK(all, "ProcessGroupMPI::createProcessGroupMPI: ember's groups span every process of the job (",
                pg->getSize(), "); a sub-group of ", ranks.size(), " ranks is not supported");
  }
  return pg;
}

void ProcessGroupMPI::abort() {
  distributed::abort("ProcessGroupMPI::abort called on rank " + std::to_string(rank_), 1);
}

}  // namespace distributed
}  // namespace ember
