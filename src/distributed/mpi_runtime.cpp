// MPI's lifetime in an ember process (src/distributed/mpi_runtime.h).
#include "mpi_runtime.h"

#include <cstdio>
#include <cstdlib>
#include <map>

namespace ember {
namespace distributed {
namespace mpi_detail {
namespace {

struct Runtime {
  std::mutex call_lock;
  std::mutex hooks_lock;
  std::map<int, std::function<bool()>> hooks;
  int next_hook = 0;
  bool initialised_here = false;
  bool finalised = false;
};

Runtime& runtime() {
  // Never destroyed: exit hooks and late group destructors may still use it during static
  // destruction.
  static Runtime* r = new Runtime;
  return *r;
}

void finalize_at_exit() {
  Runtime& rt = runtime();
  bool clean = true;
  std::map<int, std::function<bool()>> hooks;
  {
    std::lock_guard<std::mutex> g(rt.hooks_lock);
    hooks = rt.hooks;
  }
  for (auto& h : hooks) clean = h.second() && clean;
  std::lock_guard<std::mutex> g(rt.call_lock);
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized) return;
  if (!clean) {
    std::fprintf(stderr,
                 "ember: MPI is not finalised at exit: a timed-out collective is still posted and "
                 "MPI_Finalize would wait for it forever (after a timeout, call "
                 "ember::distributed::abort(message) instead of returning)\n");
    return;
  }
  MPI_Finalize();
  rt.finalised = true;
}

}  // namespace

std::mutex& lock() { return runtime().call_lock; }

bool usable() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  return !finalized;
}

void ensure_initialized() {
  Runtime& rt = runtime();
  std::lock_guard<std::mutex> g(rt.call_lock);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  EMBER_CHECK(!finalized,
              "ember::distributed: MPI was already finalised; no process group can be created after "
              "MPI_Finalize");
  if (initialized) {
    int provided = MPI_THREAD_SINGLE;
    MPI_Query_thread(&provided);
    EMBER_CHECK(provided >= MPI_THREAD_SERIALIZED, "ember::distributed: the program initialised MPI with thread level ",
                provided, ", but ember's process groups call MPI from a worker thread and need MPI_THREAD_SERIALIZED (",
                MPI_THREAD_SERIALIZED,
                ") or higher: call MPI_Init_thread with MPI_THREAD_SERIALIZED, or let ember "
                "initialise MPI");
    return;
  }
  int provided = MPI_THREAD_SINGLE;
  int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
  EMBER_CHECK(rc == MPI_SUCCESS, "ember::distributed: MPI_Init_thread failed (code ", rc,
              "); is this program started by mpirun/srun?");
  EMBER_CHECK(provided >= MPI_THREAD_SERIALIZED, "ember::distributed: this MPI provides thread level ", provided,
              " only; ember's process groups need MPI_THREAD_SERIALIZED (", MPI_THREAD_SERIALIZED, ")");
  rt.initialised_here = true;
  std::atexit(finalize_at_exit);
}

int add_exit_hook(std::function<bool()> stop) {
  Runtime& rt = runtime();
  std::lock_guard<std::mutex> g(rt.hooks_lock);
  rt.hooks[rt.next_hook] = std::move(stop);
  return rt.next_hook++;
}

void remove_exit_hook(int handle) {
  Runtime& rt = runtime();
  std::lock_guard<std::mutex> g(rt.hooks_lock);
  rt.hooks.erase(handle);
}

void throw_mpi(int code, const char* call, const char* file, int line) {
  char text[MPI_MAX_ERROR_STRING] = {0};
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) std::snprintf(text, sizeof text, "MPI error %d", code);
  throw Error(detail::str(call, " failed: ", text, " [", file, ":", line, "]"));
}

MPI_Datatype datatype(ScalarType dtype, const char* op) {
  switch (dtype) {
    case kFloat: return MPI_FLOAT;
    case kDouble: return MPI_DOUBLE;
    case kLong: return MPI_INT64_T;
    case kInt: return MPI_INT32_T;
    case kShort: return MPI_INT16_T;
    case kChar: return MPI_INT8_T;
    case kByte: return MPI_UINT8_T;
    case kBool: return MPI_C_BOOL;
    default: break;
  }
  throw Error(detail::str(op, ": the MPI backend does not support ", dtype,
                          " tensors (MPI has no such type); supported: float32, float64, int64, int32, int16, "
                          "int8, uint8, bool"));
}

MPI_Op reduce_op(ReduceOp op, ScalarType dtype, const char* what) {
  if (dtype == kBool) {
    EMBER_CHECK(op != ReduceOp::AVG, what, ": Cannot use ReduceOp.AVG with boolean inputs");
    return op == ReduceOp::SUM || op == ReduceOp::MAX ? MPI_LOR : MPI_LAND;
  }
  switch (op) {
    case ReduceOp::SUM:
    case ReduceOp::AVG: return MPI_SUM;
    case ReduceOp::PRODUCT: return MPI_PROD;
    case ReduceOp::MIN: return MPI_MIN;
    case ReduceOp::MAX: return MPI_MAX;
  }
  return MPI_SUM;
}

const char* name(ReduceOp op) {
  switch (op) {
    case ReduceOp::SUM: return "SUM";
    case ReduceOp::AVG: return "AVG";
    case ReduceOp::PRODUCT: return "PRODUCT";
    case ReduceOp::MIN: return "MIN";
    case ReduceOp::MAX: return "MAX";
  }
  return "?";
}

}  // namespace mpi_detail

void abort(const std::string& message, int exit_code) {
  std::fprintf(stderr, "%s\n", message.c_str());
  std::fflush(stderr);
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  // No lock: the worker thread may hold it while polling a collective that will never finish.
  if (initialized && !finalized) MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);
}

}  // namespace distributed
}  // namespace ember
