#pragma once
// PyTorch's pooling output-size rule and the unbatched-input wrapper, shared by the 2-D pools
// (pool.cpp) and the 3-D ones (pool3d.cpp).
#include <cstdint>
#include <tuple>
#include <type_traits>

#include "ember/tensor.h"

namespace ember {

inline int64_t pool_floor_div(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

/// PyTorch's pooling_output_shape: with ceil_mode the last window may hang over the right edge,
/// but it must start inside the input or the left padding.
inline int64_t pool_out_size(int64_t in, int64_t k, int64_t pad, int64_t stride, int64_t dilation, bool ceil_mode) {
  int64_t out = pool_floor_div(in + 2 * pad - dilation * (k - 1) - 1 + (ceil_mode ? stride - 1 : 0), stride) + 1;
  if (ceil_mode && (out - 1) * stride >= in + pad) --out;
  return out;
}

/// Runs `batched` on a batched view of an unbatched input (one dim fewer than `batched_dims`)
/// and drops the batch dim again from its result: a tensor, or a (values, indices) pair.
template <typename F>
auto with_batch(const Tensor& input, int64_t batched_dims, F batched) {
  using R = decltype(batched(input));
  if (input.dim() == batched_dims) return batched(input);
  R r = batched(input.unsqueeze(0));
  if constexpr (std::is_same<R, Tensor>::value) {
    return r.squeeze(0);
  } else {
    return R{std::get<0>(r).squeeze(0), std::get<1>(r).squeeze(0)};
  }
}

}  // namespace ember
