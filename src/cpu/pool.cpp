// CPU 2-D max pooling (NCHW). Each (n, c) plane is independent, so planes are the unit of
// parallel work, which also makes the backward scatter race-free without atomics.
//
// The window walk copies PyTorch's CPU kernel, so indices agree with it exactly: the window
// start is moved past the padding in dilation steps, the running index starts at that first
// in-bounds position, and a NaN always wins (val > max || isnan(val)).
#include <algorithm>
#include <cmath>
#include <limits>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

// First tap at or past 0 of the sequence start, start + step, ...
inline int64_t first_inside(int64_t start, int64_t step) {
  return start >= 0 ? start : start + ((-start + step - 1) / step) * step;
}

template <typename T>
void max_pool_forward_impl(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolParams& p) {
  const int64_t planes = in.size(0) * in.size(1), H = in.size(2), W = in.size(3);
  const int64_t OH = out.size(2), OW = out.size(3);
  const int64_t kh = p.kernel[0], kw = p.kernel[1], sh = p.stride[0], sw = p.stride[1];
  const int64_t ph = p.padding[0], pw = p.padding[1], dh = p.dilation[0], dw = p.dilation[1];
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * OH * OW > 4096)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* src = x + plane * H * W;
    T* dst = y + plane * OH * OW;
    int64_t* dst_idx = idx ? idx + plane * OH * OW : nullptr;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = oh * sh - ph;
      const int64_t hend = std::min(h0 + (kh - 1) * dh + 1, H);
      const int64_t hstart = first_inside(h0, dh);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = ow * sw - pw;
        const int64_t wend = std::min(w0 + (kw - 1) * dw + 1, W);
        const int64_t wstart = first_inside(w0, dw);
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = hstart * W + wstart;
        for (int64_t ih = hstart; ih < hend; ih += dh) {
          for (int64_t iw = wstart; iw < wend; iw += dw) {
            const T v = src[ih * W + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = ih * W + iw;
            }
          }
        }
        dst[oh * OW + ow] = best;
        if (dst_idx) dst_idx[oh * OW + ow] = best_at;
      }
    }
  }
}

template <typename T>
void max_pool_backward_impl(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  const int64_t planes = grad_in.size(0) * grad_in.size(1);
  const int64_t in_plane = grad_in.size(2) * grad_in.size(3);
  const int64_t out_plane = grad_out.size(2) * grad_out.size(3);
  T* gi = grad_in.data_ptr<T>();
  const T* go = grad_out.data_ptr<T>();
  const int64_t* idx = indices.data_ptr<int64_t>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * (in_plane + out_plane) > 8192)
  for (int64_t plane = 0; plane < planes; ++plane) {
    T* dst = gi + plane * in_plane;
    const T* src = go + plane * out_plane;
    const int64_t* at = idx + plane * out_plane;
    std::fill(dst, dst + in_plane, T(0));
    // An index outside the plane only comes from a window lying wholly in padding, which the
    // front half's padding <= kernel/2 rule rules out; skip rather than write out of bounds.
    for (int64_t o = 0; o < out_plane; ++o)
      if (at[o] >= 0 && at[o] < in_plane) dst[at[o]] += src[o];
  }
}

// --- average pooling ------------------------------------------------------------------------------

/// PyTorch's avg_pool2d window: [start, end) clipped to input + padding for the divisor with
/// count_include_pad, then to the input for the taps.
struct AvgWindow {
  int64_t h0, h1, w0, w1;  // taps, clipped to the input
  int64_t divisor;         // 0 for a window wholly in the padding (its output is 0)
};

inline AvgWindow avg_window(int64_t oh, int64_t ow, int64_t H, int64_t W, const PoolParams& p, bool count_include_pad,
                            int64_t divisor_override) {
  int64_t h0 = oh * p.stride[0] - p.padding[0], w0 = ow * p.stride[1] - p.padding[1];
  int64_t h1 = std::min(h0 + p.kernel[0], H + p.padding[0]), w1 = std::min(w0 + p.kernel[1], W + p.padding[1]);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = std::max<int64_t>(h0, 0);
  w0 = std::max<int64_t>(w0, 0);
  h1 = std::min(h1, H);
  w1 = std::min(w1, W);
  if (h0 >= h1 || w0 >= w1) return {h0, h1, w0, w1, 0};
  const int64_t divisor = divisor_override > 0 ? divisor_override : count_include_pad ? padded : (h1 - h0) * (w1 - w0);
  return {h0, h1, w0, w1, divisor};
}

template <typename T>
void avg_pool_forward_impl(const Tensor& out, const Tensor& in, const PoolParams& p, bool count_include_pad,
                           int64_t divisor_override) {
  const int64_t planes = in.size(0) * in.size(1), H = in.size(2), W = in.size(3);
  const int64_t OH = out.size(2), OW = out.size(3);
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * OH * OW > 4096)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* src = x + plane * H * W;
    T* dst = y + plane * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const AvgWindow win = avg_window(oh, ow, H, W, p, count_include_pad, divisor_override);
        if (win.divisor == 0) {
          dst[oh * OW + ow] = T(0);
          continue;
        }
        T sum = T(0);
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += src[ih * W + iw];
        dst[oh * OW + ow] = sum / T(win.divisor);
      }
    }
  }
}

template <typename T>
void avg_pool_backward_impl(const Tensor& grad_in, const Tensor& grad_out, const PoolParams& p, bool count_include_pad,
                            int64_t divisor_override) {
  const int64_t planes = grad_in.size(0) * grad_in.size(1), H = grad_in.size(2), W = grad_in.size(3);
  const int64_t OH = grad_out.size(2), OW = grad_out.size(3);
  T* gi = grad_in.data_ptr<T>();
  const T* go = grad_out.data_ptr<T>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * (H * W + OH * OW) > 8192)
  for (int64_t plane = 0; plane < planes; ++plane) {
    T* dst = gi + plane * H * W;
    const T* src = go + plane * OH * OW;
    std::fill(dst, dst + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      for (int64_t ow = 0; ow < OW; ++ow) {
        const AvgWindow win = avg_window(oh, ow, H, W, p, count_include_pad, divisor_override);
        if (win.divisor == 0) continue;
        const T g = src[oh * OW + ow] / T(win.divisor);
        for (int64_t ih = win.h0; ih < win.h1; ++ih)
          for (int64_t iw = win.w0; iw < win.w1; ++iw) dst[ih * W + iw] += g;
      }
    }
  }
}

// --- adaptive pooling ----------------------------------------------------------------------------

inline int64_t adaptive_start(int64_t o, int64_t out_size, int64_t in_size) { return (o * in_size) / out_size; }
inline int64_t adaptive_end(int64_t o, int64_t out_size, int64_t in_size) {
  return ((o + 1) * in_size + out_size - 1) / out_size;
}

template <typename T>
void adaptive_avg_forward_impl(const Tensor& out, const Tensor& in) {
  const int64_t planes = in.size(0) * in.size(1), H = in.size(2), W = in.size(3);
  const int64_t OH = out.size(2), OW = out.size(3);
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  if (OH == 1 && OW == 1) {
    // The global average (ResNet's head): one vectorised sum per contiguous plane.
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * H * W > 32768)
    for (int64_t plane = 0; plane < planes; ++plane) {
      const T* src = x + plane * H * W;
      T sum = T(0);
#pragma omp simd reduction(+ : sum)
      for (int64_t i = 0; i < H * W; ++i) sum += src[i];
      y[plane] = sum / T(H * W);
    }
    return;
  }
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * H * W > 32768)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* src = x + plane * H * W;
    T* dst = y + plane * OH * OW;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
        T sum = T(0);
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) sum += src[ih * W + iw];
        dst[oh * OW + ow] = sum / T((h1 - h0) * (w1 - w0));
      }
    }
  }
}

template <typename T>
void adaptive_avg_backward_impl(const Tensor& grad_in, const Tensor& grad_out) {
  const int64_t planes = grad_in.size(0) * grad_in.size(1), H = grad_in.size(2), W = grad_in.size(3);
  const int64_t OH = grad_out.size(2), OW = grad_out.size(3);
  T* gi = grad_in.data_ptr<T>();
  const T* go = grad_out.data_ptr<T>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * H * W > 32768)
  for (int64_t plane = 0; plane < planes; ++plane) {
    T* dst = gi + plane * H * W;
    const T* src = go + plane * OH * OW;
    if (OH == 1 && OW == 1) {
      const T g = src[0] / T(H * W);
#pragma omp simd
      for (int64_t i = 0; i < H * W; ++i) dst[i] = g;
      continue;
    }
    std::fill(dst, dst + H * W, T(0));
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
        const T g = src[oh * OW + ow] / T((h1 - h0) * (w1 - w0));
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) dst[ih * W + iw] += g;
      }
    }
  }
}

// PyTorch's walk: the index starts at the window's first element and a NaN always wins.
template <typename T>
void adaptive_max_forward_impl(const Tensor& out, const Tensor& indices, const Tensor& in) {
  const int64_t planes = in.size(0) * in.size(1), H = in.size(2), W = in.size(3);
  const int64_t OH = out.size(2), OW = out.size(3);
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  int64_t* idx = indices.data_ptr<int64_t>();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (planes * H * W > 32768)
  for (int64_t plane = 0; plane < planes; ++plane) {
    const T* src = x + plane * H * W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const int64_t h0 = adaptive_start(oh, OH, H), h1 = adaptive_end(oh, OH, H);
      for (int64_t ow = 0; ow < OW; ++ow) {
        const int64_t w0 = adaptive_start(ow, OW, W), w1 = adaptive_end(ow, OW, W);
        T best = -std::numeric_limits<T>::infinity();
        int64_t best_at = h0 * W + w0;
        for (int64_t ih = h0; ih < h1; ++ih) {
          for (int64_t iw = w0; iw < w1; ++iw) {
            const T v = src[ih * W + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              best_at = ih * W + iw;
            }
          }
        }
        y[plane * OH * OW + oh * OW + ow] = best;
        idx[plane * OH * OW + oh * OW + ow] = best_at;
      }
    }
  }
}

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolParams& p) {
  dispatch_floating(in.dtype(), "max_pool2d",
                    [&](auto tag) { max_pool_forward_impl<typename decltype(tag)::type>(out, indices, in, p); });
}

// The window parameters are not needed here: planes are split between threads, so the scatter
// along the indices is race-free and adds in output order, deterministic as it is.
void CpuBackend::max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                                     const PoolParams& /*p*/) {
  dispatch_floating(grad_in.dtype(), "max_pool2d_backward", [&](auto tag) {
    max_pool_backward_impl<typename decltype(tag)::type>(grad_in, grad_out, indices);
  });
}

}  // namespace ember

namespace ember {

void CpuBackend::avg_pool2d_forward(const Tensor& out, const Tensor& in, const PoolParams& p, bool count_include_pad,
                                    int64_t divisor_override) {
  dispatch_floating(in.dtype(), "avg_pool2d", [&](auto tag) {
    avg_pool_forward_impl<typename decltype(tag)::type>(out, in, p, count_include_pad, divisor_override);
  });
}

void CpuBackend::avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolParams& p,
                                     bool count_include_pad, int64_t divisor_override) {
  dispatch_floating(grad_in.dtype(), "avg_pool2d_backward", [&](auto tag) {
    avg_pool_backward_impl<typename decltype(tag)::type>(grad_in, grad_out, p, count_include_pad, divisor_override);
  });
}

void CpuBackend::adaptive_avg_pool2d_forward(const Tensor& out, const Tensor& in) {
  dispatch_floating(in.dtype(), "adaptive_avg_pool2d",
                    [&](auto tag) { adaptive_avg_forward_impl<typename decltype(tag)::type>(out, in); });
}

void CpuBackend::adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) {
  dispatch_floating(grad_in.dtype(), "adaptive_avg_pool2d_backward",
                    [&](auto tag) { adaptive_avg_backward_impl<typename decltype(tag)::type>(grad_in, grad_out); });
}

void CpuBackend::adaptive_max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in) {
  dispatch_floating(in.dtype(), "adaptive_max_pool2d",
                    [&](auto tag) { adaptive_max_forward_impl<typename decltype(tag)::type>(out, indices, in); });
}

// Windows may overlap, but planes are split between threads: the scatter is race-free.
void CpuBackend::adaptive_max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  dispatch_floating(grad_in.dtype(), "adaptive_max_pool2d_backward", [&](auto tag) {
    max_pool_backward_impl<typename decltype(tag)::type>(grad_in, grad_out, indices);
  });
}

}  // namespace ember
