#pragma once
// MPI for ember's process groups: initialised at first use (MPI_THREAD_SERIALIZED or better) and
// finalised at exit, every MPI call made under one lock (so SERIALIZED suffices however many
// groups and worker threads there are), MPI error codes turned into ember::Error, and ember's
// dtypes and ReduceOps mapped to MPI's. MPI's types stay in src/: no public header includes this.
// The C API only: OpenMPI's and MPICH's mpi.h otherwise pull in the deprecated C++ bindings, whose
// library (libmpi_cxx) is not linked.
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "ember/distributed.h"
#include "ember/error.h"
#include "ember/types.h"

namespace ember {
namespace distributed {
namespace mpi_detail {

/// Initialises MPI unless it already is (by ember or by the program; a program's MPI must provide
/// MPI_THREAD_SERIALIZED at least). Throws ember::Error when MPI cannot be initialised.
void ensure_initialized();
/// Held around every MPI call ember makes.
std::mutex& lock();
/// False once MPI_Finalize ran (ember's or the program's): no MPI call may follow.
bool usable();

/// Registers `stop`, run at exit before MPI_Finalize (a group stops its worker there); it returns
/// false when an operation is still posted (a timed-out collective), and MPI then is not finalised
/// (MPI_Finalize would wait for it forever). Returns a handle for remove_exit_hook.
int add_exit_hook(std::function<bool()> stop);
void remove_exit_hook(int handle);

[[noreturn]] void throw_mpi(int code, const char* call, const char* file, int line);

/// MPI's type for a dtype; an ember::Error naming `op` for the dtypes MPI has no type for.
MPI_Datatype datatype(ScalarType dtype, const char* op);
/// MPI's operation for `op` on `dtype` (AVG: MPI_SUM, the caller divides; bool: SUM/MAX are OR,
/// PRODUCT/MIN are AND, as NCCL's bool reductions).
MPI_Op reduce_op(ReduceOp op, ScalarType dtype, const char* what);
const char* name(ReduceOp op);

}  // namespace mpi_detail
}  // namespace distributed
}  // namespace ember

#define EMBER_MPI_CHECK(call)                                                                                        \
  do {                                                                                                               \
    int ember_rc_ = (call);                                                                                          \
    if (ember_rc_ != MPI_SUCCESS) ::ember::distributed::mpi_detail::throw_mpi(ember_rc_, #call, __FILE__, __LINE__); \
  } while (0)
