#pragma once
// LibTorch's Variable::set_data, internal to ember's nn (defined in module.cpp).
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace detail {
/// `target` takes the storage, sizes, strides, offset and dtype of `source`, keeping its identity
/// and autograd state, so every handle to it sees the new data.
void set_data(const Tensor& target, const Tensor& source);
}  // namespace detail
}  // namespace nn
}  // namespace ember
