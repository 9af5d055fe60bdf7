// The one thread knob. ember's own loops run on OpenMP, and so do its GEMMs: gemm.cpp and
// conv.cpp split each product across the OpenMP threads and call OpenBLAS single-threaded inside
// them. Letting OpenBLAS start its own pool as well would put two pools on the same cores
// (measured: conv forward+backward 2-3x slower on 2 cores), so OpenBLAS stays at one thread from
// the moment the library loads.
//
// The count lives here, in one process-wide atomic, and every parallel region in src/cpu asks
// for num_threads(get_num_threads()). omp_set_num_threads alone would not do: it sets only the
// calling thread's OpenMP default, so a std::thread started by the user (a data loader, a
// second model) would keep the old count and, with it, a different split of each reduction.
#include <cblas.h>
#include <omp.h>

#include <atomic>

#include "ember/tensor.h"

namespace ember {
namespace {
const bool kBlasSerial = [] {
  openblas_set_num_threads(1);
  return true;
}();

// A function-local static, so a caller from another static initialiser still finds it set.
std::atomic<int>& thread_count() {
  static std::atomic<int> count{omp_get_max_threads()};
  return count;
}
}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, "set_num_threads: expected a positive number of threads, got ", n);
  thread_count().store(n, std::memory_order_relaxed);
  // Also the calling thread's OpenMP default, as LibTorch does, for user code's own OpenMP loops.
  omp_set_num_threads(n);
}

int get_num_threads() { return thread_count().load(std::memory_order_relaxed); }

}  // namespace ember
