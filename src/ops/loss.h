#pragma once
// Internal entry points of the fused losses, used by nn::functional (src/nn/functional.cpp).
#include "ember/functional.h"
#include "ember/tensor.h"

namespace ember {
namespace detail {

/// Cross entropy from logits with int64 class targets: input (N, C) with target (N), input (C)
/// with a 0-dim target, or input (N, C, d1, ...) with target (N, d1, ...). Forward is a
/// log_softmax kernel and a per-sample nll kernel; backward is one fused kernel.
/// A defined weight (C) rescales each class, and a mean then divides by the summed weights of
/// the targets that count (PyTorch's rule); that path composes tensor ops around the same kernels.
Tensor cross_entropy_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                          int64_t ignore_index, double label_smoothing);

/// Negative log-likelihood on log-probabilities: input (N, C) with target (N), or (C) with a
/// 0-dim target.
Tensor nll_loss(const Tensor& input, const Tensor& target, const Tensor& weight, Reduction reduction,
                int64_t ignore_index);

}  // namespace detail
}  // namespace ember
