#pragma once
// The geometry and index rule of F::pad, computed once by the front half (src/ops/pad.cpp) and
// read by both backends' kernels (src/cpu/pad.cpp, kernels/pad.cu), so the CPU and CUDA agree on
// which input element every output element copies. The tensor is seen as (planes, D, H, W): the
// up to three padded dims last, everything before them folded into planes (a dim that is not
// padded has size 1 and no padding).
#include <cstdint>

#include "functors.h"

namespace ember {

enum class PadMode : int { Constant, Reflect, Replicate, Circular };

struct PadGeometry {
  int64_t planes = 1;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1};        // (D, H, W) of input and output
  int64_t before[3] = {0, 0, 0}, after[3] = {0, 0, 0};  // padding of each dim (negative crops)
  PadMode mode = PadMode::Constant;

  EMBER_HD int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  EMBER_HD int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

/// The input position that output position o of one padded dim (input length n) copies, or -1
/// for a constant-mode position in the padding. The front half guarantees reflect's padding is
/// below n, so one reflection suffices. Circular mode first crops (negative padding), then wraps
/// around what is left, as PyTorch's _pad_circular.
EMBER_HD int64_t pad_source(int64_t o, int64_t before, int64_t after, int64_t n, PadMode mode) {
  if (mode == PadMode::Circular) {
    const int64_t lo = before < 0 ? -before : 0, kept = (after < 0 ? n + after : n) - lo;
    const int64_t i = (o - (before > 0 ? before : 0)) % kept;
    return lo + (i < 0 ? i + kept : i);
  }
  int64_t i = o - before;
  switch (mode) {
    case PadMode::Constant: return (i >= 0 && i < n) ? i : -1;
    case PadMode::Reflect:
      if (i < 0) i = -i;
      if (i >= n) i = 2 * (n - 1) - i;
      return i;
    case PadMode::Replicate: return i < 0 ? 0 : (i >= n ? n - 1 : i);
    case PadMode::Circular: break;
  }
  return -1;
}

/// The flat position within its input plane that output element `at` of its output plane
/// copies, or -1 (constant padding).
EMBER_HD int64_t pad_source_in_plane(int64_t at, const PadGeometry& g) {
  const int64_t ow = at % g.out[2], oh = (at / g.out[2]) % g.out[1], od = at / (g.out[2] * g.out[1]);
  const int64_t d = pad_source(od, g.before[0], g.after[0], g.in[0], g.mode);
  const int64_t h = pad_source(oh, g.before[1], g.after[1], g.in[1], g.mode);
  const int64_t w = pad_source(ow, g.before[2], g.after[2], g.in[2], g.mode);
  if (d < 0 || h < 0 || w < 0) return -1;
  return (d * g.in[1] + h) * g.in[2] + w;
}

}  // namespace ember
