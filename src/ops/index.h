#pragma once
// Internal entry points of src/ops/index.cpp.
#include "../autograd/function.h"
#include "../check.h"
#include "../scatter_geometry.h"
#include "ember/tensor.h"

namespace ember {
namespace detail {

/// index_select, optionally without the range check. The check costs a device-to-host copy (a
/// wait for the GPU) for device indices, so callers that built the indices themselves and know
/// them in range (the TensorLoader's permutation) skip it.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index, bool check_range);

/// Throws "<op>: index I is out of bounds for dimension D with size S" unless every index
/// value lies in [0, size) (or [-size, size) when negative_ok); returns -1 when some index is
/// negative, else 0. Device indices cost a copy.
int64_t check_index_range(const char* op, const Tensor& index, int64_t size, int64_t dim, bool negative_ok);
/// Runs `kernel(g)` (a gather or scatter over g) with the index values checked as
/// check_index_range does: by the CPU kernel itself, in the same pass, or beforehand for other
/// devices. The error is check_index_range's either way.
template <typename Kernel>
void run_checked(const char* op, ScatterGeometry g, const Tensor& index, int64_t size, int64_t dim, bool negative_ok,
                 Kernel kernel) {
  if (!index.is_cpu()) {
    check_index_range(op, index, size, dim, negative_ok);
    kernel(g);
    return;
  }
  int64_t bad = 0;
  g.self_dim_size = size;
  g.wrap_negative = negative_ok;
  g.out_of_range = &bad;
  kernel(g);
  if (bad) check_index_range(op, index, size, dim, negative_ok);  // throws, naming the value
}
/// The flat (row-major) positions of the true elements of a bool mask, as an int64 vector.
Tensor nonzero_flat(const Tensor& mask);

/// The in-place form of an op: `direct(self)` writes into self when autograd does not record,
/// else self takes the out-of-place result `functional(self)` (computed from a clone, so that
/// tensors its backward saved are not the ones overwritten).
template <typename Direct, typename Functional>
inline const Tensor& in_place(const char* op, const Tensor& self, std::initializer_list<Tensor> others, Direct direct,
                              Functional functional) {
  check_defined(op, self);
  autograd::check_inplace(self, op, others);
  std::vector<Tensor> all{self};
  all.insert(all.end(), others.begin(), others.end());
  if (!autograd::needs_grad(all)) {
    direct(self);
    bump_version(self);
    return self;
  }
  Tensor result = functional(self.clone());
  EMBER_CHECK(result.sizes().equals(self.sizes()), op, ": output with shape ", self.sizes(),
              " doesn't match the broadcast shape ", result.sizes());
  autograd::rebase_history(self, result);
  return self;
}

}  // namespace detail
}  // namespace ember
