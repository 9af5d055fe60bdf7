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

}  // namespace

void CpuBackend::max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in,
                                    const PoolParams& p) {
  dispatch_floating(in.dtype(), "max_pool2d", [&](auto tag) {
    max_pool_forward_impl<typename decltype(tag)::type>(out, indices, in, p);
  });
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
