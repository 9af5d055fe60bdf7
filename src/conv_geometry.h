#pragma once
// The geometry of one 2-D convolution (NCHW, groups = 1), computed once by the front half
// (src/ops/conv.cpp) and passed through every conv entry of src/backend.h, so the CPU and CUDA
// backends (im2col, the AVX-512 panels, cuDNN descriptors) read the same numbers instead of each
// rebuilding them from tensor shapes.
#include <cstdint>

namespace ember {

struct ConvGeometry {
  int64_t n, c, h, w;              // input (N, C, H, W)
  int64_t cout, kh, kw;            // weight (Cout, C, KH, KW)
  int64_t oh, ow;                  // output plane
  int64_t sh, sw, ph, pw, dh, dw;  // stride, padding, dilation (height, width)

  /// Rows of the im2col matrix: C * KH * KW.
  int64_t ckk() const { return c * kh * kw; }
  int64_t plane_in() const { return h * w; }
  int64_t plane_out() const { return oh * ow; }
  int64_t image_in() const { return c * h * w; }
  int64_t image_out() const { return cout * oh * ow; }
};

/// PyTorch's output length of one spatial dim: (in + 2p - d (k - 1) - 1) / s + 1.
inline int64_t conv_out_size(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

}  // namespace ember
