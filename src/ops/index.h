#pragma once
// Internal entry points of src/ops/index.cpp.
#include "ember/tensor.h"

namespace ember {
namespace detail {

/// index_select, optionally without the range check. The check costs a device-to-host copy (a
/// wait for the GPU) for device indices, so callers that built the indices themselves and know
/// them in range (the TensorLoader's permutation) skip it.
Tensor index_select(const Tensor& x, int64_t dim, const Tensor& index, bool check_range);

}  // namespace detail
}  // namespace ember
