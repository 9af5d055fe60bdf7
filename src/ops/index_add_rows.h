#pragma once
// Sums slices into a fresh tensor at an index: what the composed layers (conv3d's and the max
// pools' backwards, EmbeddingBag, col2im) use to route values back to where they came from.
#include <vector>

#include "ember/tensor.h"

namespace ember {

/// zeros(shape) with src's slices along `dim` added at `index` (a valid 1-D int64 index; repeats
/// add up; src's size along dim is index.numel()). The backend's index_add: deterministic on
/// both devices (docs/determinism.md) and slice-wise, unlike the elementwise scatter behind
/// Tensor::index_add. Recorded when src requires grad (its backward is index_select), so it can
/// be differentiated again.
Tensor index_add_into_zeros(const std::vector<int64_t>& shape, int64_t dim, const Tensor& index, const Tensor& src);

}  // namespace ember
