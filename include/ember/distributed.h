#pragma once
// ember::distributed: process groups for data-parallel training, with PyTorch's names (c10d's
// ProcessGroup/Work classes and torch.distributed's free functions). Backends:
//  - "mpi":  CPU tensors, over the MPI library the launcher (mpirun, srun) belongs to; built when
//            CMake finds MPI (EMBER_MPI=AUTO).
//  - "nccl": CUDA tensors, over NCCL on its own stream (ordered with the compute stream by
//            events); the unique id travels over MPI, so it needs both (EMBER_NCCL=AUTO).
// A backend that was not built is an ember::Error naming the CMake option, never a crash.
//
// LibTorch's C++ API has no torch::distributed; ember follows c10d (std::shared_ptr in place of
// c10::intrusive_ptr) and, for the free functions, Python's torch.distributed.
#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "ember/export.h"
#include "ember/tensor.h"

namespace ember {
namespace distributed {

/// c10d::ReduceOp's operations. AVG divides the sum by the world size (in the tensor's dtype;
/// integer tensors round toward zero as PyTorch's).
enum class ReduceOp { SUM, AVG, PRODUCT, MIN, MAX };

/// How long a collective may wait for the other ranks before it fails (train_cifar's
/// --dist-timeout default). A timed-out collective throws an ember::Error naming the operation,
/// its sequence number and the rank(s) that did not join.
constexpr std::chrono::milliseconds kDefaultTimeout{300 * 1000};
/// "Use the process group's timeout" in the options below.
constexpr std::chrono::milliseconds kUnsetTimeout{-1};

struct AllreduceOptions {
  ReduceOp reduceOp = ReduceOp::SUM;
  std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct BroadcastOptions {
  int64_t rootRank = 0;
  int64_t rootTensor = 0;
  std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct AllgatherOptions {
  std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct ReduceScatterOptions {
  ReduceOp reduceOp = ReduceOp::SUM;
  std::chrono::milliseconds timeout = kUnsetTimeout;
};
struct BarrierOptions {
  std::chrono::milliseconds timeout = kUnsetTimeout;
};

/// An operation in flight (c10d::Work). Tensors handed to a collective must not be touched
/// until wait() returns.
class EMBER_API Work {
 public:
  virtual ~Work();
  /// Whether the operation has finished (successfully or not); never blocks.
  virtual bool isCompleted() = 0;
  /// Whether it finished without an error.
  virtual bool isSuccess() const = 0;
  /// The error it failed with (null while running or after success).
  virtual std::exception_ptr exception() const = 0;
  /// Blocks until the operation finishes, then rethrows its error if it failed. For CUDA work it
  /// makes the current stream wait for the collective (as synchronize()) instead of the host.
  /// `timeout` overrides the group's timeout for this wait. Returns true.
  virtual bool wait(std::chrono::milliseconds timeout = kUnsetTimeout) = 0;
  /// CUDA: orders the current stream after the collective (no host wait); CPU: wait().
  virtual void synchronize();
  /// The output tensors of the operation.
  virtual std::vector<Tensor> result();
};

/// A group of `size` processes; this one is number `rank` (c10d::ProcessGroup). Every rank must
/// call the same collectives in the same order with tensors of the same shapes and dtypes; a
/// mismatch detected is an ember::Error naming the ranks' shapes.
class EMBER_API ProcessGroup {
 public:
  /// c10d's older nested spelling, c10d::ProcessGroup::Work.
  using Work = ::ember::distributed::Work;
  ProcessGroup(int rank, int size);
  virtual ~ProcessGroup();

  int getRank() const { return rank_; }
  int getSize() const { return size_; }
  virtual const std::string getBackendName() const = 0;
  /// The default timeout of this group's operations.
  std::chrono::milliseconds getTimeout() const { return timeout_; }
  void setTimeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }

  /// Copies tensors[opts.rootTensor] of rank opts.rootRank into every rank's tensors (in place).
  virtual std::shared_ptr<Work> broadcast(std::vector<Tensor>& tensors,
                                          const BroadcastOptions& opts = BroadcastOptions()) = 0;
  /// Reduces each tensor over the ranks, in place.
  virtual std::shared_ptr<Work> allreduce(std::vector<Tensor>& tensors,
                                          const AllreduceOptions& opts = AllreduceOptions()) = 0;
  /// outputTensors[0][r] receives rank r's inputTensors[0] (one input tensor per process).
  virtual std::shared_ptr<Work> allgather(std::vector<std::vector<Tensor>>& outputTensors,
                                          std::vector<Tensor>& inputTensors,
                                          const AllgatherOptions& opts = AllgatherOptions()) = 0;
  /// `output` (size x input's numel, contiguous) receives every rank's `input`, in rank order.
  virtual std::shared_ptr<Work> _allgather_base(Tensor& output, Tensor& input,
                                                const AllgatherOptions& opts = AllgatherOptions()) = 0;
  /// outputTensors[0] receives the reduction over the ranks of their inputTensors[0][rank].
  virtual std::shared_ptr<Work> reduce_scatter(std::vector<Tensor>& outputTensors,
                                               std::vector<std::vector<Tensor>>& inputTensors,
                                               const ReduceScatterOptions& opts = ReduceScatterOptions()) = 0;
  /// `output` receives the reduction of the rank-th of size equal chunks of every rank's `input`.
  virtual std::shared_ptr<Work> _reduce_scatter_base(Tensor& output, Tensor& input,
                                                     const ReduceScatterOptions& opts = ReduceScatterOptions()) = 0;
  virtual std::shared_ptr<Work> barrier(const BarrierOptions& opts = BarrierOptions()) = 0;
  virtual std::shared_ptr<Work> send(std::vector<Tensor>& tensors, int dstRank, int tag) = 0;
  virtual std::shared_ptr<Work> recv(std::vector<Tensor>& tensors, int srcRank, int tag) = 0;

 protected:
  int rank_;
  int size_;
  std::chrono::milliseconds timeout_ = kDefaultTimeout;
};

/// The MPI backend: CPU tensors of every dtype. Initialises MPI (MPI_THREAD_SERIALIZED or better)
/// on first use and finalises it at exit; operations run in order on one worker thread, so
/// communication overlaps the caller's computation.
EMBER_API std::shared_ptr<ProcessGroup> createProcessGroupMPI(std::chrono::milliseconds timeout = kDefaultTimeout);
/// The MPI group under c10d's class name, for programs written against c10d
/// (`auto pg = c10d::ProcessGroupMPI::createProcessGroupMPI(); pg->allreduce(tensors)->wait();`).
class EMBER_API ProcessGroupMPI : public ProcessGroup {
 public:
  using ProcessGroup::ProcessGroup;
  /// A group of every process of the job (`ranks` empty or listing them all: ember has no
  /// sub-groups), with the default timeout.
  static std::shared_ptr<ProcessGroupMPI> createProcessGroupMPI(std::vector<int> ranks = {});
  /// Ends every process of the job (MPI_Abort), as c10d's ProcessGroupMPI::abort.
  [[noreturn]] void abort();
};
/// The NCCL backend: CUDA tensors of the device this rank uses (LOCAL_RANK's by default).
EMBER_API std::shared_ptr<ProcessGroup> createProcessGroupNCCL(std::chrono::milliseconds timeout = kDefaultTimeout);

// --- torch.distributed's free functions, on the default group ----------------------------------

/// Whether a backend was built into this library ("mpi", "nccl").
EMBER_API bool is_available();
EMBER_API bool is_mpi_available();
EMBER_API bool is_nccl_available();

/// Creates the default group. `backend` "mpi" or "nccl"; "" picks "nccl" when CUDA is available
/// and built, else "mpi". Rank and world size come from the launcher: OpenMPI/PMIx
/// (OMPI_COMM_WORLD_RANK/SIZE/LOCAL_RANK), Slurm (SLURM_PROCID/NTASKS/LOCALID), or torchrun's
/// RANK/WORLD_SIZE/LOCAL_RANK; a disagreement with MPI's own numbering is an ember::Error.
EMBER_API void init_process_group(const std::string& backend = "", std::chrono::milliseconds timeout = kDefaultTimeout);
EMBER_API bool is_initialized();
EMBER_API void destroy_process_group();
/// The default group (an ember::Error before init_process_group).
EMBER_API std::shared_ptr<ProcessGroup> default_group();
EMBER_API int get_rank();
EMBER_API int get_world_size();
/// This process's number among the processes of its machine (picks its GPU).
EMBER_API int get_local_rank();
EMBER_API std::string get_backend();

/// The collectives of torch.distributed. With async_op false they return after the operation
/// finished (the returned Work is complete); with true the caller waits on the returned Work.
EMBER_API std::shared_ptr<Work> all_reduce(Tensor& tensor, ReduceOp op = ReduceOp::SUM, bool async_op = false);
EMBER_API std::shared_ptr<Work> broadcast(Tensor& tensor, int src, bool async_op = false);
EMBER_API std::shared_ptr<Work> all_gather(std::vector<Tensor>& tensor_list, const Tensor& tensor,
                                           bool async_op = false);
EMBER_API std::shared_ptr<Work> reduce_scatter(Tensor& output, std::vector<Tensor>& input_list,
                                               ReduceOp op = ReduceOp::SUM, bool async_op = false);
EMBER_API std::shared_ptr<Work> barrier(bool async_op = false);
EMBER_API void send(const Tensor& tensor, int dst, int tag = 0);
/// Receives into `tensor` from `src` and returns the sender's rank.
EMBER_API int recv(Tensor& tensor, int src, int tag = 0);

/// Prints `message` to stderr and ends the whole job (MPI_Abort on MPI_COMM_WORLD when MPI is
/// initialised, else this process) with `exit_code`. The way out after a timed-out collective:
/// MPI cannot recover a communicator whose rank is lost, and MPI_Finalize would wait for it.
[[noreturn]] EMBER_API void abort(const std::string& message, int exit_code = 1);

}  // namespace distributed
}  // namespace ember
