// The one thread knob. ember's own loops run on OpenMP, and so do its GEMMs: gemm.cpp and
// conv.cpp split each product across the OpenMP threads and call OpenBLAS single-threaded inside
// them. Letting OpenBLAS start its own pool as well would put two pools on the same cores
// (measured: conv forward+backward 2-3x slower on 2 cores), so OpenBLAS stays at one thread from
// the moment the library loads, and set_num_threads sets OpenMP only.
#include <cblas.h>
#include <omp.h>

#include "ember/tensor.h"

namespace ember {
namespace {
const bool kBlasSerial = [] {
  openblas_set_num_threads(1);
  return true;
}();
}  // namespace

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, "set_num_threads: expected a positive number of threads, got ", n);
  omp_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
