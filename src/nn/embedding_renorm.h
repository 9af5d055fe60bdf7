#pragma once
// LibTorch's embedding_renorm_, shared by F::embedding and F::embedding_bag.
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace functional {
namespace detail {

/// Each distinct row of `weight` that `input` (integer indices) looks up and whose norm_type-norm
/// exceeds max_norm is scaled to max_norm (with LibTorch's 1e-7 guard), in place, outside autograd.
void embedding_renorm(const Tensor& weight, const Tensor& input, double max_norm, double norm_type);

}  // namespace detail
}  // namespace functional
}  // namespace nn
}  // namespace ember
