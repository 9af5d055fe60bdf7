// The one thread knob: ember's own loops run on OpenMP and GEMM on OpenBLAS, and each keeps its
// own thread count, so set_num_threads sets both (as torch::set_num_threads does for its pools).
#include <cblas.h>
#include <omp.h>

#include "ember/tensor.h"

namespace ember {

void set_num_threads(int n) {
  EMBER_CHECK(n >= 1, "set_num_threads: expected a positive number of threads, got ", n);
  omp_set_num_threads(n);
  openblas_set_num_threads(n);
}

int get_num_threads() { return omp_get_max_threads(); }

}  // namespace ember
