#pragma once
// Which input planes a 3-D window op reads along depth, shared by conv3d (conv3d.cpp) and
// max_pool3d (pool3d.cpp): both run a 2-D op over every (height, width) plane and combine the
// planes of each output plane's depth window.
#include <algorithm>
#include <cstdint>

namespace ember {

/// The output planes [lo, hi) whose window tap k (reading input plane id = od * stride -
/// padding + k * dilation) falls inside the input (0 <= id < depth); they read the planes
/// first, first + stride, ...
struct DepthTap {
  int64_t lo, hi, first;
  int64_t count() const { return hi - lo; }
};

inline DepthTap depth_tap(int64_t k, int64_t depth, int64_t out_depth, int64_t stride, int64_t padding,
                          int64_t dilation) {
  const int64_t off = k * dilation - padding;  // id = od * stride + off
  const int64_t lo = off >= 0 ? 0 : (-off + stride - 1) / stride;
  const int64_t hi = depth - 1 - off >= 0 ? std::min(out_depth, (depth - 1 - off) / stride + 1) : 0;
  return {lo, std::max(lo, hi), lo * stride + off};
}

}  // namespace ember
