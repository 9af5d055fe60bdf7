#pragma once
// PyTorch's pooling output-size rule, shared by the 2-D pools (pool.cpp) and the 3-D ones
// (pool3d.cpp).
#include <cstdint>

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

}  // namespace ember
