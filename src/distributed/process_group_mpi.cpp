// The MPI process group (createProcessGroupMPI). Operations are queued and run in order by one
// worker thread per group, so communication overlaps the caller's computation. Each posts MPI's
// nonblocking operation and polls it with MPI_Test until the deadline, so none blocks forever; a
// timed-out one asks the other ranks how far they got (straggler_report) to name the ranks that
// did not join. Before the data of a collective moves, the ranks exchange a short description of
// their tensors (describe_call), so mismatched shapes, dtypes, ops or roots are an ember::Error
// naming each rank's, never MPI's undefined behaviour.
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <limits>
#include <sstream>
#include <thread>
#include <tuple>

#include "../check.h"
#include "collective_args.h"
#include "ember/autograd.h"
#include "host_work.h"
#include "mpi_runtime.h"

namespace ember {
namespace distributed {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Tags on the group's control communicator (a duplicate: its messages never meet the data's).
constexpr int kQueryTag = 1;
constexpr int kReplyTag = 2;

// How the worker waits for MPI, which progresses only inside MPI calls (shared memory has no
// interrupt to sleep on). While a thread of this rank waits for a Work, nothing here needs the
// core, so the worker spins on MPI_Test (yielding): each of the several round trips of an
// all-reduce then costs microseconds, not a sleep. Otherwise (an all-reduce overlapping the
// backward) it sleeps between tests, doubling the sleep up to kMaxPause so the core stays the
// computation's; a thread that starts waiting cuts the sleep short. Measured on 2 ranks of
// train_cifar sequential_conv (docs/distributed.md): sleeping 20 us between tests, the 0.68 MB
// gradient all-reduce took ~25 ms of each step on a busy machine.
class Pacer {
 public:
  /// A thread starts or stops waiting for a Work of the group.
  void enter() {
    {
      std::lock_guard<std::mutex> g(m_);
      ++waiters_;
    }
    cv_.notify_all();
  }
  void leave() {
    std::lock_guard<std::mutex> g(m_);
    --waiters_;
  }
  bool waited() {
    std::lock_guard<std::mutex> g(m_);
    return waiters_ > 0;
  }
  /// Sleeps for `d`, or until some thread waits.
  void pause(std::chrono::microseconds d) {
    std::unique_lock<std::mutex> g(m_);
    cv_.wait_for(g, d, [&] { return waiters_ > 0; });
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  int waiters_ = 0;
};

constexpr std::chrono::microseconds kMaxPause{1000};

class MpiWork final : public HostWork {
 public:
  MpiWork(std::string what, std::vector<Tensor> outputs, std::shared_ptr<Pacer> pacer)
      : HostWork(std::move(what), std::move(outputs)), pacer_(std::move(pacer)) {}
  /// The worker finishes every operation by its deadline (success, error or timeout).
  bool wait(milliseconds timeout) override {
    if (isCompleted()) {
      wait_host(timeout);  // rethrows its error
      return true;
    }
    pacer_->enter();
    struct Leave {
      Pacer& p;
      ~Leave() { p.leave(); }
    } leave{*pacer_};
    wait_host(timeout);
    return true;
  }

 private:
  std::shared_ptr<Pacer> pacer_;  // shared: a Work may outlive its group
};

// Thrown inside the worker when an operation's deadline passes; the group then marks itself broken.
struct TimedOut : Error {
  using Error::Error;
};

class MpiGroup;

// What a queued operation sees while it runs on the worker thread.
struct Runner {
  MpiGroup& pg;
  std::string what;  // "allreduce #3"
  uint64_t seq;      // its collective number (0: point-to-point)
  int peer;          // point-to-point: the other rank
  Clock::time_point start;
  milliseconds timeout;

  /// Polls `req` until it completes; at the deadline throws TimedOut with the straggler report,
  /// leaving the request posted (MPI cannot cancel a collective) and `keep` alive with it.
  MPI_Status wait(MPI_Request& req, std::shared_ptr<void> keep);
};

struct Op {
  std::shared_ptr<MpiWork> work;
  std::string what;
  uint64_t seq = 0;
  int peer = -1;
  milliseconds timeout;
  std::function<void(Runner&)> body;
};

// A description of one rank's call: what it called and with which tensor, exchanged with
// MPI_Iallgather before a collective moves data.
struct CallInfo {
  static constexpr int kDims = 8;
  int64_t kind = 0, dtype = 0, arg = 0, ndim = 0;
  int64_t dims[kDims] = {0};
};
static_assert(sizeof(CallInfo) == 12 * sizeof(int64_t), "CallInfo is 12 int64s on the wire");

const char* kKinds[] = {"?", "allreduce", "broadcast", "allgather", "reduce_scatter"};

// The group behind both factories: its public face is ProcessGroupMPI (c10d's name).
class MpiGroup final : public ProcessGroupMPI {
 public:
  MpiGroup(int rank, int size, MPI_Comm data, MPI_Comm control, milliseconds timeout)
      : ProcessGroupMPI(rank, size), data_(data), control_(control) {
    timeout_ = timeout;
    worker_ = std::thread([this] { run(); });
    hook_ = mpi_detail::add_exit_hook([this] { return stop(); });
  }

  ~MpiGroup() override {
    mpi_detail::remove_exit_hook(hook_);
    const bool clean = stop();
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    if (clean && mpi_detail::usable()) {
      MPI_Comm_free(&data_);
      MPI_Comm_free(&control_);
    }
  }

  const std::string getBackendName() const override { return "mpi"; }

  std::shared_ptr<Work> broadcast(std::vector<Tensor>& tensors, const BroadcastOptions& opts) override {
    const char* op = "broadcast";
    check_single(op, tensors);
    check_root(op, opts, size_);
    Tensor t = tensors[0];
    Tensor buf = t.contiguous();
    MPI_Datatype type = mpi_detail::datatype(t.dtype(), op);
    const int root = int(opts.rootRank);
    CallInfo info = call_info(2, t, root);
    return enqueue(op, true, -1, opts.timeout, {t}, [=](Runner& r) {
      check_calls(r, info);
      auto req = std::make_shared<MPI_Request>();
      post([&] { return MPI_Ibcast(buf.data_ptr(), int(buf.numel()), type, root, data_, req.get()); }, "MPI_Ibcast");
      r.wait(*req, keep(req, buf));
      write_back(t, buf);
    });
  }

  std::shared_ptr<Work> allreduce(std::vector<Tensor>& tensors, const AllreduceOptions& opts) override {
    const char* op = "allreduce";
    check_single(op, tensors);
    Tensor t = tensors[0];
    MPI_Datatype type = mpi_detail::datatype(t.dtype(), op);
    MPI_Op mop = mpi_detail::reduce_op(opts.reduceOp, t.dtype(), op);
    Tensor buf = t.contiguous();
    const ReduceOp rop = opts.reduceOp;
    CallInfo info = call_info(1, t, int64_t(rop));
    return enqueue(op, true, -1, opts.timeout, {t}, [=](Runner& r) {
      check_calls(r, info);
      auto req = std::make_shared<MPI_Request>();
      post([&] { return MPI_Iallreduce(MPI_IN_PLACE, buf.data_ptr(), int(buf.numel()), type, mop, data_, req.get()); },
           "MPI_Iallreduce");
      r.wait(*req, keep(req, buf));
      if (rop == ReduceOp::AVG) divide(buf, size_);
      write_back(t, buf);
    });
  }

  std::shared_ptr<Work> allgather(std::vector<std::vector<Tensor>>& outputTensors, std::vector<Tensor>& inputTensors,
                                  const AllgatherOptions& opts) override {
    const char* op = "allgather";
    check_single(op, inputTensors);
    const Tensor in = inputTensors[0];
    const std::vector<Tensor> outs = check_rank_list(op, "output", outputTensors, in, size_,
                                                     [&](const char* o, const Tensor& t) { check_tensor(o, t); });
    MPI_Datatype type = mpi_detail::datatype(in.dtype(), op);
    Tensor src = in.contiguous();
    std::vector<int64_t> gathered_shape{size_};
    for (int64_t s : in.sizes()) gathered_shape.push_back(s);
    Tensor gathered = empty(gathered_shape, TensorOptions().dtype(in.dtype()));
    CallInfo info = call_info(3, in, 0);
    return enqueue(op, true, -1, opts.timeout, outs, [=](Runner& r) {
      check_calls(r, info);
      auto req = std::make_shared<MPI_Request>();
      post(
          [&] {
            return MPI_Iallgather(src.data_ptr(), int(src.numel()), type, gathered.data_ptr(), int(src.numel()), type,
                                  data_, req.get());
          },
          "MPI_Iallgather");
      r.wait(*req, keep(req, src, gathered));
      NoGradGuard no_grad;
      for (size_t i = 0; i < outs.size(); ++i) outs[i].copy_(gathered.select(0, int64_t(i)));
    });
  }

  std::shared_ptr<Work> _allgather_base(Tensor& output, Tensor& input, const AllgatherOptions& opts) override {
    const char* op = "_allgather_base";
    check_tensor(op, input);
    check_tensor(op, output);
    check_allgather_base(op, output, input, size_);
    EMBER_CHECK(output.is_contiguous(), op, ": output tensor has to be contiguous, got ", describe(output));
    MPI_Datatype type = mpi_detail::datatype(input.dtype(), op);
    Tensor src = input.contiguous(), out = output;
    CallInfo info = call_info(3, input, 0);
    return enqueue(op, true, -1, opts.timeout, {out}, [=](Runner& r) {
      check_calls(r, info);
      auto req = std::make_shared<MPI_Request>();
      post(
          [&] {
            return MPI_Iallgather(src.data_ptr(), int(src.numel()), type, out.data_ptr(), int(src.numel()), type, data_,
                                  req.get());
          },
          "MPI_Iallgather");
      r.wait(*req, keep(req, src, out));
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
    MPI_Datatype type = mpi_detail::datatype(out.dtype(), op);
    MPI_Op mop = mpi_detail::reduce_op(opts.reduceOp, out.dtype(), op);
    std::vector<int64_t> packed_shape{size_};
    for (int64_t s : out.sizes()) packed_shape.push_back(s);
    Tensor packed = empty(packed_shape, TensorOptions().dtype(out.dtype()));
    {
      NoGradGuard no_grad;
      for (size_t i = 0; i < ins.size(); ++i) packed.select(0, int64_t(i)).copy_(ins[i]);
    }
    return reduce_scatter_block(op, packed, out, type, mop, opts.reduceOp, opts.timeout);
  }

  std::shared_ptr<Work> _reduce_scatter_base(Tensor& output, Tensor& input, const ReduceScatterOptions& opts) override {
    const char* op = "_reduce_scatter_base";
    check_tensor(op, input);
    check_tensor(op, output);
    check_reduce_scatter_base(op, output, input, size_);
    MPI_Datatype type = mpi_detail::datatype(output.dtype(), op);
    MPI_Op mop = mpi_detail::reduce_op(opts.reduceOp, output.dtype(), op);
    return reduce_scatter_block(op, input.contiguous(), output, type, mop, opts.reduceOp, opts.timeout);
  }

  std::shared_ptr<Work> barrier(const BarrierOptions& opts) override {
    return enqueue("barrier", true, -1, opts.timeout, {}, [=](Runner& r) {
      auto req = std::make_shared<MPI_Request>();
      post([&] { return MPI_Ibarrier(data_, req.get()); }, "MPI_Ibarrier");
      r.wait(*req, req);
    });
  }

  std::shared_ptr<Work> send(std::vector<Tensor>& tensors, int dstRank, int tag) override {
    const char* op = "send";
    check_single(op, tensors);
    check_peer(op, "dstRank", dstRank, tag);
    Tensor buf = tensors[0].contiguous();
    MPI_Datatype type = mpi_detail::datatype(buf.dtype(), op);
    return enqueue(
        detail::str("send to rank ", dstRank, " (tag ", tag, ")"), false, dstRank, kUnsetTimeout, {}, [=](Runner& r) {
          auto req = std::make_shared<MPI_Request>();
          post([&] { return MPI_Isend(buf.data_ptr(), int(buf.numel()), type, dstRank, tag, data_, req.get()); },
               "MPI_Isend");
          r.wait(*req, keep(req, buf));
        });
  }

  std::shared_ptr<Work> recv(std::vector<Tensor>& tensors, int srcRank, int tag) override {
    const char* op = "recv";
    check_single(op, tensors);
    check_peer(op, "srcRank", srcRank, tag);
    Tensor t = tensors[0];
    Tensor buf = t.contiguous();
    MPI_Datatype type = mpi_detail::datatype(buf.dtype(), op);
    return enqueue(
        detail::str("recv from rank ", srcRank, " (tag ", tag, ")"), false, srcRank, kUnsetTimeout, {t},
        [=](Runner& r) {
          auto req = std::make_shared<MPI_Request>();
          post([&] { return MPI_Irecv(buf.data_ptr(), int(buf.numel()), type, srcRank, tag, data_, req.get()); },
               "MPI_Irecv");
          MPI_Status st = r.wait(*req, keep(req, buf));
          int count = 0;
          MPI_Get_count(&st, type, &count);
          EMBER_CHECK(count == buf.numel(), r.what, ": rank ", srcRank, " sent ", count, " elements, but ", describe(t),
                      " holds ", buf.numel(), " (send and recv must use tensors of the same size)");
          write_back(t, buf);
        });
  }

  // --- used by Runner --------------------------------------------------------------------------

  /// Answers the other ranks' questions (how far has this rank got?) and drops the control
  /// messages that were delivered. Called with the MPI lock held, between polls and when idle.
  void serve_locked() {
    for (;;) {
      int flag = 0;
      MPI_Status st;
      if (MPI_Iprobe(MPI_ANY_SOURCE, kQueryTag, control_, &flag, &st) != MPI_SUCCESS || !flag) break;
      int64_t query = 0;
      MPI_Recv(&query, 1, MPI_INT64_T, st.MPI_SOURCE, kQueryTag, control_, MPI_STATUS_IGNORE);
      auto reply = std::make_shared<std::array<int64_t, 3>>();
      *reply = {query, int64_t(entered_.load()), int64_t(posted_.load())};
      replies_.push_back({MPI_REQUEST_NULL, reply});
      MPI_Isend(reply->data(), 3, MPI_INT64_T, st.MPI_SOURCE, kReplyTag, control_, &replies_.back().first);
    }
    for (auto it = replies_.begin(); it != replies_.end();) {
      int flag = 0;
      MPI_Test(&it->first, &flag, MPI_STATUS_IGNORE);
      it = flag ? replies_.erase(it) : std::next(it);
    }
  }

  /// Why `r`'s operation has not finished: asks every other rank (over the control
  /// communicator, within a short grace period) how many collectives it has entered.
  std::string straggler_report(const Runner& r);

  /// After a timeout, keeps the still-posted request and its buffers; marks the group broken.
  void orphan(MPI_Request req, std::shared_ptr<void> keep, const std::string& why) {
    orphans_.push_back({req, std::move(keep)});
    std::lock_guard<std::mutex> g(queue_lock_);
    if (broken_.empty()) broken_ = why;
  }

  void note_posted(uint64_t seq) {
    if (seq) posted_ = seq;
  }

 private:
  template <typename F>
  void post(F&& call, const char* name) {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    int rc = call();
    if (rc != MPI_SUCCESS) mpi_detail::throw_mpi(rc, name, __FILE__, __LINE__);
  }

  template <typename... T>
  static std::shared_ptr<void> keep(T... held) {
    return std::make_shared<std::tuple<T...>>(std::move(held)...);
  }

  void check_tensor(const char* op, const Tensor& t) const {
    check_defined(op, t);
    EMBER_CHECK(t.is_cpu(), op, ": the MPI backend takes CPU tensors, got ", describe(t),
                " (use the NCCL backend for CUDA tensors)");
    EMBER_CHECK(t.numel() <= std::numeric_limits<int>::max(), op, ": ", describe(t), " has ", t.numel(),
                " elements; MPI counts are int, so a tensor may hold at most 2^31-1");
    mpi_detail::datatype(t.dtype(), op);
  }

  void check_single(const char* op, const std::vector<Tensor>& tensors) const {
    EMBER_CHECK(tensors.size() == 1, op,
                ": MPI process group does not support multi-GPU collectives (expected one tensor, got ", tensors.size(),
                ")");
    check_tensor(op, tensors[0]);
  }

  void check_peer(const char* op, const char* arg, int peer, int tag) const {
    EMBER_CHECK(peer >= 0 && peer < size_, op, ": ", arg, " ", peer, " is out of range for a group of ", size_,
                " processes (expected 0 <= ", arg, " < ", size_, ")");
    EMBER_CHECK(peer != rank_, op, ": ", arg, " ", peer, " is this process's own rank");
    EMBER_CHECK(tag >= 0 && tag <= 32767, op, ": tag ", tag, " is out of range (expected 0 <= tag <= 32767)");
  }

  CallInfo call_info(int64_t kind, const Tensor& t, int64_t arg) const {
    CallInfo info;
    info.kind = kind;
    info.dtype = int64_t(t.dtype());
    info.arg = arg;
    info.ndim = t.dim();
    for (int64_t d = 0; d < t.dim(); ++d) {
      const int64_t slot = std::min<int64_t>(d, CallInfo::kDims - 1);
      info.dims[slot] = slot == d ? t.size(d) : info.dims[slot] * t.size(d);  // the last slot folds the rest
    }
    return info;
  }

  static std::string format_call(const CallInfo& c) {
    std::ostringstream os;
    os << kKinds[c.kind >= 0 && c.kind < 5 ? c.kind : 0] << " of [";
    for (int64_t d = 0; d < std::min<int64_t>(c.ndim, CallInfo::kDims); ++d) os << (d ? ", " : "") << c.dims[d];
    os << "] " << ScalarType(c.dtype);
    if (c.kind == 1) os << " " << mpi_detail::name(ReduceOp(c.arg));
    if (c.kind == 2) os << " from root " << c.arg;
    return os.str();
  }

  /// Every rank's CallInfo must equal this rank's.
  void check_calls(Runner& r, const CallInfo& mine) {
    auto all = std::make_shared<std::vector<CallInfo>>(size_);
    auto sent = std::make_shared<CallInfo>(mine);
    auto req = std::make_shared<MPI_Request>();
    post([&] { return MPI_Iallgather(sent.get(), 12, MPI_INT64_T, all->data(), 12, MPI_INT64_T, data_, req.get()); },
         "MPI_Iallgather");
    r.wait(*req, keep(req, all, sent));
    bool same = true;
    for (const CallInfo& c : *all) same = same && std::memcmp(&c, &mine, sizeof c) == 0;
    if (same) return;
    std::ostringstream os;
    os << r.what << ": every rank must make the same call with tensors of the same shape and dtype, but";
    for (int i = 0; i < size_; ++i) os << (i ? "," : "") << " rank " << i << " called " << format_call((*all)[i]);
    throw Error(os.str());
  }

  static void divide(const Tensor& t, int64_t n) {
    const int64_t count = t.numel();
    auto each = [&](auto* p) {
      using T = std::remove_pointer_t<decltype(p)>;
      for (int64_t i = 0; i < count; ++i) p[i] = T(p[i] / T(n));  // integers: C++ division truncates toward zero
    };
    switch (t.dtype()) {
      case kFloat: each(static_cast<float*>(t.data_ptr())); break;
      case kDouble: each(static_cast<double*>(t.data_ptr())); break;
      case kLong: each(static_cast<int64_t*>(t.data_ptr())); break;
      case kInt: each(static_cast<int32_t*>(t.data_ptr())); break;
      case kShort: each(static_cast<int16_t*>(t.data_ptr())); break;
      case kChar: each(static_cast<int8_t*>(t.data_ptr())); break;
      case kByte: each(static_cast<uint8_t*>(t.data_ptr())); break;
      default: EMBER_ASSERT(false, "AVG of ", t.dtype());
    }
  }

  /// A non-contiguous tensor ran through a contiguous copy: the result goes back into it.
  static void write_back(const Tensor& t, const Tensor& buf) {
    if (t.data_ptr() == buf.data_ptr()) return;
    NoGradGuard no_grad;
    t.copy_(buf);
  }

  std::shared_ptr<Work> reduce_scatter_block(const char* op, Tensor packed, Tensor out, MPI_Datatype type, MPI_Op mop,
                                             ReduceOp rop, milliseconds timeout) {
    Tensor buf = out.contiguous();
    CallInfo info = call_info(4, packed, int64_t(rop));
    return enqueue(op, true, -1, timeout, {out}, [=](Runner& r) {
      check_calls(r, info);
      auto req = std::make_shared<MPI_Request>();
      post(
          [&] {
            return MPI_Ireduce_scatter_block(packed.data_ptr(), buf.data_ptr(), int(buf.numel()), type, mop, data_,
                                             req.get());
          },
          "MPI_Ireduce_scatter_block");
      r.wait(*req, keep(req, packed, buf));
      if (rop == ReduceOp::AVG) divide(buf, size_);
      write_back(out, buf);
    });
  }

  std::shared_ptr<Work> enqueue(const std::string& name, bool collective, int peer, milliseconds timeout,
                                std::vector<Tensor> outputs, std::function<void(Runner&)> body) {
    std::lock_guard<std::mutex> g(queue_lock_);
    EMBER_CHECK(!stopping_, name, ": the process group was shut down");
    EMBER_CHECK(broken_.empty(), name, ": the process group is unusable after an earlier failure (", broken_,
                "); MPI cannot recover a communicator: print the error and exit (ember::distributed::abort)");
    Op op;
    op.seq = collective ? ++entered_ : 0;
    op.what = collective ? detail::str(name, " #", op.seq) : name;
    op.peer = peer;
    op.timeout = timeout == kUnsetTimeout ? timeout_ : timeout;
    op.work = std::make_shared<MpiWork>(op.what, std::move(outputs), pacer_);
    op.body = std::move(body);
    queue_.push_back(op);
    queue_cv_.notify_one();
    return op.work;
  }

  void run() {
    for (;;) {
      Op op;
      {
        std::unique_lock<std::mutex> g(queue_lock_);
        // Idle: wake now and then to answer the other ranks' questions (straggler_report).
        queue_cv_.wait_for(g, milliseconds(20), [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) {
          if (stopping_) return;
          g.unlock();
          std::lock_guard<std::mutex> m(mpi_detail::lock());
          if (mpi_detail::usable()) serve_locked();
          continue;
        }
        op = std::move(queue_.front());
        queue_.pop_front();
        if (!broken_.empty()) {  // queued before the failure: fail without touching MPI
          op.work->finish(std::make_exception_ptr(Error(detail::str(
              op.what, ": not run: the process group is unusable after an earlier failure (", broken_, ")"))));
          continue;
        }
      }
      Runner r{*this, op.what, op.seq, op.peer, Clock::now(), op.timeout};
      try {
        note_posted(op.seq);
        op.body(r);
        op.work->finish(nullptr);
      } catch (...) {
        op.work->finish(std::current_exception());
      }
    }
  }

  /// Stops the worker after the queued operations; false when a timed-out operation is still
  /// posted (the communicators must then be neither freed nor finalised).
  bool stop() {
    {
      std::lock_guard<std::mutex> g(queue_lock_);
      stopping_ = true;
    }
    queue_cv_.notify_all();
    if (worker_.joinable()) worker_.join();
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    if (!mpi_detail::usable()) return true;
    for (auto it = orphans_.begin(); it != orphans_.end();) {
      int flag = 0;
      MPI_Test(&it->first, &flag, MPI_STATUS_IGNORE);
      it = flag ? orphans_.erase(it) : std::next(it);
    }
    return orphans_.empty();
  }

  MPI_Comm data_, control_;
  std::shared_ptr<Pacer> pacer_ = std::make_shared<Pacer>();
  int hook_ = -1;
  std::atomic<uint64_t> entered_{0};  // collectives called (on the caller's thread)
  std::atomic<uint64_t> posted_{0};   // collectives the worker has started
  std::mutex queue_lock_;
  std::condition_variable queue_cv_;
  std::deque<Op> queue_;
  bool stopping_ = false;
  std::string broken_;                                                  // why the group can no longer be used
  std::vector<std::pair<MPI_Request, std::shared_ptr<void>>> orphans_;  // worker (and stop) only
  std::deque<std::pair<MPI_Request, std::shared_ptr<std::array<int64_t, 3>>>> replies_;
  int64_t next_query_ = 0;
  std::thread worker_;

  friend struct Runner;
};

MPI_Status Runner::wait(MPI_Request& req, std::shared_ptr<void> keep) {
  const Clock::time_point deadline = start + timeout;
  // Spin (yielding) at first: most operations finish within microseconds to milliseconds; after
  // that, spin only while a thread waits for a Work (Pacer).
  const Clock::time_point spin_until = Clock::now() + std::chrono::microseconds(200);
  std::chrono::microseconds pause{20};
  for (;;) {
    MPI_Status st;
    int flag = 0;
    {
      std::lock_guard<std::mutex> g(mpi_detail::lock());
      int rc = MPI_Test(&req, &flag, &st);
      if (rc != MPI_SUCCESS) mpi_detail::throw_mpi(rc, "MPI_Test", __FILE__, __LINE__);
      pg.serve_locked();
    }
    if (flag) return st;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) {
      std::string report = pg.straggler_report(*this);
      std::string message = detail::str(what, " timed out after ", seconds(timeout), ": ", report);
      {
        std::lock_guard<std::mutex> g(mpi_detail::lock());
        pg.orphan(req, std::move(keep), message);
      }
      throw TimedOut(message);
    }
    if (now < spin_until || pg.pacer_->waited()) {
      std::this_thread::yield();
      pause = std::chrono::microseconds(20);
    } else {
      pg.pacer_->pause(pause);
      pause = std::min(pause * 2, kMaxPause);
    }
  }
}

std::string MpiGroup::straggler_report(const Runner& r) {
  // The others answer from their worker threads (serve_locked), busy or idle; a rank that does not
  // answer within the grace period is dead, stopped, or stuck inside MPI.
  const milliseconds grace = std::min(std::max(r.timeout / 4, milliseconds(500)), milliseconds(10000));
  const int64_t query = ++next_query_;
  std::vector<int> peers;
  if (r.seq) {
    for (int i = 0; i < size_; ++i)
      if (i != rank_) peers.push_back(i);
  } else {
    peers.push_back(r.peer);
  }
  struct Ask {
    int rank;
    MPI_Request send = MPI_REQUEST_NULL, recv = MPI_REQUEST_NULL;
    std::shared_ptr<std::array<int64_t, 3>> reply = std::make_shared<std::array<int64_t, 3>>();
    bool answered = false;
  };
  auto question = std::make_shared<int64_t>(query);
  std::vector<Ask> asks;
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    for (int p : peers) {
      Ask a;
      a.rank = p;
      MPI_Isend(question.get(), 1, MPI_INT64_T, p, kQueryTag, control_, &a.send);
      MPI_Irecv(a.reply->data(), 3, MPI_INT64_T, p, kReplyTag, control_, &a.recv);
      asks.push_back(a);
    }
  }
  const Clock::time_point until = Clock::now() + grace;
  for (;;) {
    bool all = true;
    {
      std::lock_guard<std::mutex> g(mpi_detail::lock());
      serve_locked();
      for (Ask& a : asks) {
        if (a.answered) continue;
        int flag = 0;
        MPI_Test(&a.recv, &flag, MPI_STATUS_IGNORE);
        if (flag && (*a.reply)[0] != query) {  // a late answer to an earlier question
          MPI_Irecv(a.reply->data(), 3, MPI_INT64_T, a.rank, kReplyTag, control_, &a.recv);
          flag = 0;
        }
        a.answered = flag != 0;
        all = all && a.answered;
      }
    }
    if (all || Clock::now() >= until) break;
    std::this_thread::sleep_for(milliseconds(1));
  }
  std::ostringstream os;
  int behind = 0;
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    for (Ask& a : asks) {
      if (!a.answered) {
        MPI_Cancel(&a.recv);
        MPI_Wait(&a.recv, MPI_STATUS_IGNORE);  // a cancelled receive completes locally
        os << (behind++ ? "; " : "") << "rank " << a.rank << " did not join (lost or hung: no answer within "
           << seconds(grace) << ")";
        orphans_.push_back({a.send, question});
        continue;
      }
      orphans_.push_back({a.send, question});  // delivered or not, the question's buffer stays alive
      const auto& rep = *a.reply;
      if (r.seq == 0) {
        os << "rank " << a.rank << " is alive (it has entered " << rep[1]
           << " collectives) but has not made the matching call";
        ++behind;
      } else if (uint64_t(rep[1]) < r.seq) {
        os << (behind++ ? "; " : "") << "rank " << a.rank << " did not join: it is alive but has called only " << rep[1]
           << " collective" << (rep[1] == 1 ? "" : "s") << " (behind, or it skipped this one)";
      } else if (uint64_t(rep[2]) < r.seq) {
        os << (behind++ ? "; " : "") << "rank " << a.rank << " called it but is still running collective #" << rep[2];
      }
    }
  }
  if (behind == 0) os << "every rank joined it (a transport failure, or ranks calling collectives in different orders)";
  return os.str();
}

}  // namespace

std::shared_ptr<ProcessGroup> createProcessGroupMPI(milliseconds timeout) {
  EMBER_CHECK(timeout.count() > 0, "createProcessGroupMPI: timeout must be positive, got ", timeout.count(), " ms");
  mpi_detail::ensure_initialized();
  int rank = 0, size = 0;
  MPI_Comm comms[2];
  MPI_Request reqs[2];
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    EMBER_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    EMBER_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
    EMBER_MPI_CHECK(MPI_Comm_idup(MPI_COMM_WORLD, &comms[0], &reqs[0]));
    EMBER_MPI_CHECK(MPI_Comm_idup(MPI_COMM_WORLD, &comms[1], &reqs[1]));
  }
  // Every rank must create the group: MPI_Comm_idup is collective.
  const Clock::time_point deadline = Clock::now() + timeout;
  for (;;) {
    int flag = 0;
    {
      std::lock_guard<std::mutex> g(mpi_detail::lock());
      EMBER_MPI_CHECK(MPI_Testall(2, reqs, &flag, MPI_STATUSES_IGNORE));
    }
    if (flag) break;
    EMBER_CHECK(Clock::now() < deadline, "createProcessGroupMPI: rank ", rank, " of ", size, " timed out after ",
                seconds(timeout), " waiting for the other ranks to create the group (every rank must call it)");
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  {
    std::lock_guard<std::mutex> g(mpi_detail::lock());
    // Errors come back as codes (turned into ember::Error), not as MPI's default abort.
    MPI_Comm_set_errhandler(comms[0], MPI_ERRORS_RETURN);
    MPI_Comm_set_errhandler(comms[1], MPI_ERRORS_RETURN);
  }
  return std::make_shared<MpiGroup>(rank, size, comms[0], comms[1], timeout);
}

}  // namespace distributed
}  // namespace ember
