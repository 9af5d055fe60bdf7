// The NCCL process group (createProcessGroupNCCL): CUDA tensors of this rank's device. The
// communicator's unique id travels over MPI; collectives run on the group's own CUDA stream,
// ordered after the work already queued on ember's compute stream by an event, and Work::wait
// makes the compute stream wait for the collective's end event (no host wait). A watchdog thread
// polls each collective's end event and ncclCommGetAsyncError: an asynchronous NCCL error, or a
// collective past its deadline, aborts the communicator (ncclCommAbort) and fails the work and
// every later call with an ember::Error. The tensors of a collective stay alive until it ends, so
// the caching allocator never hands their memory to other work while NCCL still uses it.
// Compiled only with the CUDA backend, MPI and NCCL; it has not run on a GPU yet.
#include <nccl.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <sstream>
#include <thread>

#include "../check.h"
#include "../cuda/context.h"
#include "collective_args.h"
#include "host_work.h"
#include "launch_env.h"
#include "mpi_runtime.h"

#define EMBER_NCCL_CHECK(call)                                                                                     \
  do {                                                                                                             \
    ncclResult_t ember_nr_ = (call);                                                                               \
    if (ember_nr_ != ncclSuccess && ember_nr_ != ncclInProgress)                                                   \
      throw ::ember::Error(::ember::detail::str(#call, " failed: ", ncclGetErrorString(ember_nr_), " [", __FILE__, \
                                                ":", __LINE__, "]"));                                              \
  } while (0)

namespace ember {
namespace distributed {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ncclDataType_t nccl_type(ScalarType dtype, const char* op) {
  switch (dtype) {
    case kFloat: return ncclFloat32;
    case kDouble: return ncclFloat64;
    case kHalf: return ncclFloat16;
    case kBFloat16: return ncclBfloat16;
    case kLong: return ncclInt64;
    case kInt: return ncclInt32;
    case kChar: return ncclInt8;
    case kByte: return ncclUint8;
    case kBool: return ncclUint8;
    default: break;
  }
  throw Error(detail::str(op, ": the NCCL backend does not support ", dtype,
                          " tensors (NCCL has no such type); supported: float32, float64, int64, int32, int8, uint8, "
                          "bool"));
}

ncclRedOp_t nccl_op(ReduceOp op, ScalarType dtype, const char* what) {
  if (dtype == kBool) {  // bytes of 0 and 1: OR is MAX, AND is MIN
    EMBER_CHECK(op != ReduceOp::AVG, what, ": Cannot use ReduceOp.AVG with boolean inputs");
    return op == ReduceOp::SUM || op == ReduceOp::MAX ? ncclMax : ncclMin;
  }
  switch (op) {
    case ReduceOp::SUM: return ncclSum;
    case ReduceOp::AVG: return ncclAvg;  // integers: the sum divided, rounding toward zero
    case ReduceOp::PRODUCT: return ncclProd;
    case ReduceOp::MIN: return ncclMin;
    case ReduceOp::MAX: return ncclMax;
  }
  return ncclSum;
}

class NcclWork final : public HostWork {
 public:
  NcclWork(std::string what, int device, std::vector<Tensor> outputs, std::vector<Tensor> keep, milliseconds timeout)
      : HostWork(std::move(what), std::move(outputs)),
        device_(device),
        keep_(std::move(keep)),
        deadline_(Clock::now() + timeout),
        timeout_(timeout) {
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&end_, cudaEventDisableTiming));
  }
  ~NcclWork() override { cudaEventDestroy(end_); }

  /// Orders the compute stream after the collective; with a timeout, also waits on the host.
  bool wait(milliseconds timeout) override {
    if (timeout != kUnsetTimeout) wait_host(timeout);
    rethrow_if_failed();
    int current = 0;
    EMBER_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(device_));
    EMBER_CUDA_CHECK(cudaStreamWaitEvent(cuda_detail::context().stream, end_, 0));
    if (current != device_) EMBER_CUDA_CHECK(cudaSetDevice(current));
    return true;
  }
  void synchronize() override { wait(kUnsetTimeout); }

  cudaEvent_t end() const { return end_; }
  Clock::time_point deadline() const { return deadline_; }
  milliseconds timeout() const { return timeout_; }

 private:
  void on_finish() override { keep_.clear(); }

  const int device_;
  std::vector<Tensor> keep_;
  const Clock::time_point deadline_;
  const milliseconds timeout_;
  cudaEvent_t end_ = nullptr;
};

/// Broadcasts rank 0's NCCL unique id over a duplicate of MPI_COMM_WORLD, polling to `deadline`.
ncclUniqueId share_unique_id(int rank, milliseconds timeout) {
  ncclUniqueId id;
  std::memset(&id, 0, sizeof id);
  if (rank == 0) EMBER_NCCL_CHECK(ncclGetUniqueId(&id));
  const Clock::time_point deadline = Clock::now() + timeout;
  MPI_Comm comm;
  MPI_Request req;
  auto poll = [&](const char* step) {
    for (;;) {
      int flag = 0;
      {
        std::lock_guard<std::mutex> g(mpi_detail::lock());
        EMBER_MPI_CHECK(MPI_Test(&req, &flag, MPI_STATUS_IGNORE));
      }
      if (flag) return;
      EMBER_CHECK(Clock::now() < deadline, "createProcessGroupNCCL: rank ", rank, " timed out after ", seconds(timeout),
                  " in ", step, " (every rank must create the group)");
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  };
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    EMBER_MPI_CHECK(MPI_Comm_idup(MPI_COMM_WORLD, &comm, &req));
  }
  poll("MPI_Comm_idup");
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    EMBER_MPI_CHECK(MPI_Ibcast(&id, int(sizeof id), MPI_BYTE, 0, comm, &req));
  }
  poll("the broadcast of the NCCL unique id");
  std::lock_guard<std::mutex> g(mpi_detail::lock());
  MPI_Comm_free(&comm);
  return id;
}

class ProcessGroupNCCL final : public ProcessGroup {
 public:
  ProcessGroupNCCL(int rank, int size, int device, ncclComm_t comm, milliseconds timeout)
      : ProcessGroup(rank, size), device_(device), comm_(comm) {
    timeout_ = timeout;
    EMBER_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    watchdog_ = std::thread([this] { watch(); });
  }

  ~ProcessGroupNCCL() override {
    {
      std::lock_guard<std::mutex> g(lock_);
      stopping_ = true;
    }
    cv_.notify_all();
    watchdog_.join();  // returns once every collective ended, failed or timed out
    if (broken_.empty()) {
      ncclCommDestroy(comm_);
    } else {
      ncclCommAbort(comm_);
    }
    cudaStreamDestroy(stream_);
  }

  const std::string getBackendName() const override { return "nccl"; }

  std::shared_ptr<Work> broadcast(std::vector<Tensor>& tensors, const BroadcastOptions& opts) override {
    const char* op = "broadcast";
    check_single(op, tensors);
    check_root(op, opts, size_);
    Tensor t = tensors[0];
    ncclDataType_t type = nccl_type(t.dtype(), op);
    const int root = int(opts.rootRank);
    return launch(op, opts.timeout, {t}, {t}, [&](cudaStream_t s) {
      return ncclBroadcast(t.data_ptr(), t.data_ptr(), size_t(t.numel()), type, root, comm_, s);
    });
  }

  std::shared_ptr<Work> allreduce(std::vector<Tensor>& tensors, const AllreduceOptions& opts) override {
    const char* op = "allreduce";
    check_single(op, tensors);
    Tensor t = tensors[0];
    ncclDataType_t type = nccl_type(t.dtype(), op);
    ncclRedOp_t rop = nccl_op(opts.reduceOp, t.dtype(), op);
    return launch(op, opts.timeout, {t}, {t}, [&](cudaStream_t s) {
      return ncclAllReduce(t.data_ptr(), t.data_ptr(), size_t(t.numel()), type, rop, comm_, s);
    });
  }

  std::shared_ptr<Work> allgather(std::vector<std::vector<Tensor>>& outputTensors, std::vector<Tensor>& inputTensors,
                                  const AllgatherOptions& opts) override {
    const char* op = "allgather";
    check_single(op, inputTensors);
    const Tensor in = inputTensors[0];
    const std::vector<Tensor> outs = check_rank_list(op, "output", outputTensors, in, size_,
                                                     [&](const char* o, const Tensor& t) { check_tensor(o, t); });
    ncclDataType_t type = nccl_type(in.dtype(), op);
    Tensor flat = empty({size_ * in.numel()}, TensorOptions().dtype(in.dtype()).device(in.device()));
    std::vector<Tensor> keep = outs;
    keep.push_back(in);
    keep.push_back(flat);
    const size_t bytes = in.nbytes();
    return launch(op, opts.timeout, outs, keep, [&](cudaStream_t s) {
      ncclResult_t r = ncclAllGather(in.data_ptr(), flat.data_ptr(), size_t(in.numel()), type, comm_, s);
      if (r != ncclSuccess && r != ncclInProgress) return r;
      for (size_t i = 0; i < outs.size(); ++i) {  // on NCCL's stream: ordered after the gather
        EMBER_CUDA_CHECK(cudaMemcpyAsync(outs[i].data_ptr(), static_cast<char*>(flat.data_ptr()) + i * bytes, bytes,
                                         cudaMemcpyDeviceToDevice, s));
      }
      return r;
    });
  }

  std::shared_ptr<Work> _allgather_base(Tensor& output, Tensor& input, const AllgatherOptions& opts) override {
    const char* op = "_allgather_base";
    check_tensor(op, input);
    check_tensor(op, output);
    check_allgather_base(op, output, input, size_);
    ncclDataType_t type = nccl_type(input.dtype(), op);
    Tensor in = input, out = output;
    return launch(op, opts.timeout, {out}, {in, out}, [&](cudaStream_t s) {
      return ncclAllGather(in.data_ptr(), out.data_ptr(), size_t(in.numel()), type, comm_, s);
    });
  }

  std::shared_ptr<Work> reduce_scatter(std::vector<Tensor>& outputTensors,
                                       std::vector<std::vector<Tensor>>& inputTensors,
                                       const ReduceScatterOptions& opts) override {
    const char* op = "reduce_scatter";
    check_single(op, outputTensors);
    const Tensor out = outputTensors[0];
    const std::vector<Tensor> ins = check_rank_list(op, "input", inputTensors, out, size_,
                                                    [&](const char* o, const Tensor& t) { check_tensor(o, t); });
    ncclDataType_t type = nccl_type(out.dtype(), op);
    ncclRedOp_t rop = nccl_op(opts.reduceOp, out.dtype(), op);
    Tensor flat = empty({size_ * out.numel()}, TensorOptions().dtype(out.dtype()).device(out.device()));
    std::vector<Tensor> keep = ins;
    keep.push_back(out);
    keep.push_back(flat);
    const size_t bytes = out.nbytes();
    return launch(op, opts.timeout, {out}, keep, [&](cudaStream_t s) {
      for (size_t i = 0; i < ins.size(); ++i) {
        EMBER_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(flat.data_ptr()) + i * bytes, ins[i].data_ptr(), bytes,
                                         cudaMemcpyDeviceToDevice, s));
      }
      return ncclReduceScatter(flat.data_ptr(), out.data_ptr(), size_t(out.numel()), type, rop, comm_, s);
    });
  }

  std::shared_ptr<Work> _reduce_scatter_base(Tensor& output, Tensor& input, const ReduceScatterOptions& opts) override {
    const char* op = "_reduce_scatter_base";
    check_tensor(op, input);
    check_tensor(op, output);
    check_reduce_scatter_base(op, output, input, size_);
    ncclDataType_t type = nccl_type(output.dtype(), op);
    ncclRedOp_t rop = nccl_op(opts.reduceOp, output.dtype(), op);
    Tensor in = input, out = output;
    return launch(op, opts.timeout, {out}, {in, out}, [&](cudaStream_t s) {
      return ncclReduceScatter(in.data_ptr(), out.data_ptr(), size_t(out.numel()), type, rop, comm_, s);
    });
  }

  /// As c10d's: an all-reduce of one element; wait() then orders the compute stream after it.
  std::shared_ptr<Work> barrier(const BarrierOptions& opts) override {
    Tensor one = zeros({1}, TensorOptions().dtype(kFloat).device(Device(kCUDA, device_)));
    return launch("barrier", opts.timeout, {}, {one}, [&](cudaStream_t s) {
      return ncclAllReduce(one.data_ptr(), one.data_ptr(), 1, ncclFloat32, ncclSum, comm_, s);
    });
  }

  std::shared_ptr<Work> send(std::vector<Tensor>& tensors, int dstRank, int tag) override {
    const char* op = "send";
    check_single(op, tensors);
    check_peer(op, "dstRank", dstRank);
    Tensor t = tensors[0];
    ncclDataType_t type = nccl_type(t.dtype(), op);
    return launch(detail::str("send to rank ", dstRank), kUnsetTimeout, {}, {t},
                  [&](cudaStream_t s) { return ncclSend(t.data_ptr(), size_t(t.numel()), type, dstRank, comm_, s); });
  }

  std::shared_ptr<Work> recv(std::vector<Tensor>& tensors, int srcRank, int tag) override {
    const char* op = "recv";
    check_single(op, tensors);
    check_peer(op, "srcRank", srcRank);
    Tensor t = tensors[0];
    ncclDataType_t type = nccl_type(t.dtype(), op);
    return launch(detail::str("recv from rank ", srcRank), kUnsetTimeout, {t}, {t},
                  [&](cudaStream_t s) { return ncclRecv(t.data_ptr(), size_t(t.numel()), type, srcRank, comm_, s); });
  }

 private:
  void check_tensor(const char* op, const Tensor& t) const {
    check_defined(op, t);
    EMBER_CHECK(t.is_cuda() && t.device().index() == device_, op, ": the NCCL backend takes tensors on this rank's ",
                "device cuda:", device_, ", got ", describe(t), " (use the MPI backend for CPU tensors)");
    EMBER_CHECK(t.is_contiguous(), op, ": Tensors must be contiguous, got ", describe(t));
  }
  void check_single(const char* op, const std::vector<Tensor>& tensors) const {
    EMBER_CHECK(tensors.size() == 1, op, ": expected one tensor per process, got ", tensors.size());
    check_tensor(op, tensors[0]);
  }
  void check_peer(const char* op, const char* arg, int peer) const {
    EMBER_CHECK(peer >= 0 && peer < size_ && peer != rank_, op, ": ", arg, " ", peer,
                " is not another rank of this group of ", size_, " processes");
  }

  /// Queues `call` on the group's stream after the compute stream's work, records the end event
  /// and hands the work to the watchdog.
  template <typename F>
  std::shared_ptr<Work> launch(const std::string& name, milliseconds timeout, std::vector<Tensor> outputs,
                               std::vector<Tensor> keep, F&& call) {
    std::lock_guard<std::mutex> g(lock_);
    EMBER_CHECK(broken_.empty(), name, ": the NCCL process group is unusable after an earlier failure (", broken_,
                "); print the error and exit (ember::distributed::abort)");
    const bool collective = name.find(' ') == std::string::npos;
    const std::string what = collective ? detail::str(name, " #", ++seq_) : name;
    int current = 0;
    EMBER_CUDA_CHECK(cudaGetDevice(&current));
    EMBER_CHECK(current == device_, what, ": the current CUDA device is ", current, ", this group's is ", device_,
                " (the device its tensors live on)");
    cuda_detail::CudaContext& ctx = cuda_detail::context();
    auto work = std::make_shared<NcclWork>(what, device_, std::move(outputs), std::move(keep),
                                           timeout == kUnsetTimeout ? timeout_ : timeout);
    EMBER_CUDA_CHECK(cudaEventRecord(ready_, ctx.stream));
    EMBER_CUDA_CHECK(cudaStreamWaitEvent(stream_, ready_, 0));
    ncclResult_t r = call(stream_);
    // A nonblocking communicator may still be queueing it: NCCL wants no other call until then.
    while (r == ncclInProgress) ncclCommGetAsyncError(comm_, &r);
    EMBER_CHECK(r == ncclSuccess, what, ": NCCL failed to queue it: ", ncclGetErrorString(r), " (",
                ncclGetLastError(comm_), ")");
    EMBER_CUDA_CHECK(cudaEventRecord(work->end(), stream_));
    in_flight_.push_back(work);
    cv_.notify_all();
    return work;
  }

  /// The watchdog: ends the works in order, turns NCCL's asynchronous errors and timeouts into
  /// errors, and aborts the communicator then (a hung NCCL kernel never returns otherwise).
  void watch() {
    cudaSetDevice(device_);
    std::unique_lock<std::mutex> g(lock_);
    for (;;) {
      cv_.wait_for(g, milliseconds(10), [&] { return stopping_ || !in_flight_.empty(); });
      if (in_flight_.empty()) {
        if (stopping_) return;
        continue;
      }
      while (!in_flight_.empty()) {
        const cudaError_t q = cudaEventQuery(in_flight_.front()->end());
        if (q == cudaErrorNotReady) break;
        in_flight_.front()->finish(q == cudaSuccess
                                       ? nullptr
                                       : std::make_exception_ptr(Error(detail::str(
                                             in_flight_.front()->what(), ": CUDA error ", cudaGetErrorString(q)))));
        in_flight_.pop_front();
      }
      if (in_flight_.empty()) continue;
      ncclResult_t async = ncclSuccess;
      ncclCommGetAsyncError(comm_, &async);
      std::string why;
      if (async != ncclSuccess && async != ncclInProgress) {
        why = detail::str(in_flight_.front()->what(), " failed: NCCL reports ", ncclGetErrorString(async), " (",
                          ncclGetLastError(comm_), "); the communicator was aborted");
      } else if (Clock::now() >= in_flight_.front()->deadline()) {
        why = detail::str(in_flight_.front()->what(), " timed out after ", seconds(in_flight_.front()->timeout()),
                          ": a rank did not join (lost, hung, or calling collectives in another order); NCCL cannot "
                          "tell which; the communicator was aborted");
      }
      if (why.empty()) continue;
      broken_ = why;
      ncclCommAbort(comm_);  // ends the hung kernels, so the events below complete
      for (auto& w : in_flight_) w->finish(std::make_exception_ptr(Error(why)));
      in_flight_.clear();
    }
  }

  const int device_;
  ncclComm_t comm_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t ready_ = [] {
    cudaEvent_t e = nullptr;
    EMBER_CUDA_CHECK(cudaEventCreateWithFlags(&e, cudaEventDisableTiming));
    return e;
  }();
  std::mutex lock_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<NcclWork>> in_flight_;
  bool stopping_ = false;
  std::string broken_;
  uint64_t seq_ = 0;
  std::thread watchdog_;
};

}  // namespace

std::shared_ptr<ProcessGroup> createProcessGroupNCCL(milliseconds timeout) {
  EMBER_CHECK(timeout.count() > 0, "createProcessGroupNCCL: timeout must be positive, got ", timeout.count(), " ms");
  mpi_detail::ensure_initialized();
  int rank = 0, size = 0;
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    EMBER_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    EMBER_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
  }
  int count = 0;
  EMBER_CHECK(cudaGetDeviceCount(&count) == cudaSuccess && count > 0,
              "createProcessGroupNCCL: no CUDA device is visible to rank ", rank);
  const LaunchEnv env = launch_env();
  const int device = (env.local_rank >= 0 ? env.local_rank : rank) % count;
  EMBER_CUDA_CHECK(cudaSetDevice(device));
  const ncclUniqueId id = share_unique_id(rank, timeout);
  // A nonblocking communicator: its creation is polled to the deadline instead of hanging.
  ncclConfig_t config = NCCL_CONFIG_INITIALIZER;
  config.blocking = 0;
  ncclComm_t comm = nullptr;
  EMBER_NCCL_CHECK(ncclCommInitRankConfig(&comm, size, id, rank, &config));
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    ncclResult_t state = ncclInProgress;
    EMBER_NCCL_CHECK(ncclCommGetAsyncError(comm, &state));
    if (state == ncclSuccess) break;
    if (state != ncclInProgress || Clock::now() >= deadline) {
      ncclCommAbort(comm);
      throw Error(
          detail::str("createProcessGroupNCCL: rank ", rank, " of ", size,
                      " could not create the NCCL "
                      "communicator: ",
                      state == ncclInProgress ? "timed out after " + seconds(timeout) : ncclGetErrorString(state)));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return std::make_shared<ProcessGroupNCCL>(rank, size, device, comm, timeout);
}

}  // namespace distributed
}  // namespace ember
