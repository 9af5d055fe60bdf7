// 2-D max pooling (NCHW) forward with argmax indices, and its backward.
//
// Forward: one thread per output element walks its window exactly as the CPU backend does
// (src/cpu/pool.cpp, itself PyTorch's walk): the start is moved past the padding in dilation
// steps, the running index starts at the first in-bounds tap, and a NaN always wins
// (v > best || isnan(v)), so the indices agree with the CPU's bit for bit. Padding counts as
// -inf: it never wins.
//
// Backward, two kernels:
//  - scatter (the default): grad_in is zeroed, then one thread per OUTPUT element adds its
//    gradient at its recorded argmax with atomicAdd. Windows overlap when stride < kernel (or
//    when dilation spreads the taps), so two outputs may hit one input and the order of those
//    float additions can vary from run to run. With non-overlapping windows every input
//    receives at most one gradient and the result is exact.
//  - gather (deterministic mode, ember::is_deterministic(); docs/determinism.md): one thread per
//    INPUT element visits every window that taps it, in increasing output order, and sums the
//    gradients of those whose argmax is that element. No atomics, every element written once,
//    and the same additions in the same order as the CPU backend's scatter, so the bits match
//    the CPU's too. Output row oh taps input row oh*sh - ph + a*dh for a in [0, kh), so the
//    windows tapping row ih are oh = (ih + ph - a*dh) / sh where that division is exact.
//    One geometry escapes the gather: a dilated, padded window whose taps all miss the input's
//    columns (e.g. kernel 2, dilation 3, padding 1 over 2 columns). Its argmax is then the
//    forward's starting position hstart*W + wstart with wstart >= W, i.e. an element of the
//    next row that the window does not tap, and the CPU (as PyTorch) routes the gradient
//    there. For that case deterministic mode runs a per-plane kernel instead: one thread per
//    (n, c) plane zeroes it and adds the gradients in output order, exactly the CPU's loop.
#include <algorithm>
#include <limits>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "ember/determinism.h"

namespace ember {
namespace cuda_kernels {
namespace {

struct PoolGeom {
  int64_t h, w, oh, ow;
  int64_t kh, kw, sh, sw, ph, pw, dh, dw;
};

__device__ __forceinline__ int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// First tap at or past 0 of the sequence start, start + step, ...
__device__ __forceinline__ int64_t first_inside(int64_t start, int64_t step) {
  return start >= 0 ? start : start + ((-start + step - 1) / step) * step;
}

// out, indices: (planes, OH, OW);  in: (planes, H, W).  indices may be null.
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    max_pool2d_forward_kernel(T* __restrict__ out, int64_t* __restrict__ indices, const T* __restrict__ in, PoolGeom g,
                              int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, plane = i / (g.ow * g.oh);
    const T* src = in + plane * g.h * g.w;
    const int64_t h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    const int64_t hend = min64(h0 + (g.kh - 1) * g.dh + 1, g.h), wend = min64(w0 + (g.kw - 1) * g.dw + 1, g.w);
    const int64_t hstart = first_inside(h0, g.dh), wstart = first_inside(w0, g.dw);
    T best = -std::numeric_limits<T>::infinity();
    int64_t best_at = hstart * g.w + wstart;
    for (int64_t ih = hstart; ih < hend; ih += g.dh) {
      for (int64_t iw = wstart; iw < wend; iw += g.dw) {
        const T v = src[ih * g.w + iw];
        if (v > best || is_nan(v)) {
          best = v;
          best_at = ih * g.w + iw;
        }
      }
    }
    out[i] = best;
    if (indices != nullptr) indices[i] = best_at;
  }
}

// grad_in: (planes, H, W), zeroed before;  grad_out, indices: (planes, OH, OW).
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    max_pool2d_backward_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out,
                               const int64_t* __restrict__ indices, int64_t in_plane, int64_t out_plane,
                               int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t at = indices[i];
    // An index outside the plane only comes from a window lying wholly in padding (the CPU
    // skips it too); never write out of bounds.
    if (at >= 0 && at < in_plane) atomicAdd(grad_in + (i / out_plane) * in_plane + at, grad_out[i]);
  }
}

// grad_in: (planes, H, W), every element written;  grad_out, indices: (planes, OH, OW).
// I is int32_t when every element index fits (the decoding's divisions are then several times
// cheaper), else int64_t; signed, since a tap row in the padding is negative.
template <typename T, typename I>
__global__ void __launch_bounds__(kBlockSize)
    max_pool2d_backward_gather_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out,
                                      const int64_t* __restrict__ indices, PoolGeom geom, int64_t total) {
  const I h = I(geom.h), w = I(geom.w), oh_n = I(geom.oh), ow_n = I(geom.ow);
  const I kh = I(geom.kh), kw = I(geom.kw), sh = I(geom.sh), sw = I(geom.sw);
  const I ph = I(geom.ph), pw = I(geom.pw), dh = I(geom.dh), dw = I(geom.dw);
  const I out_plane = oh_n * ow_n;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const I e = I(i);
    const I iw = e % w, rest = e / w;
    const I ih = rest % h, plane = rest / h;
    const int64_t at = int64_t(ih) * w + iw;
    const T* go = grad_out + int64_t(plane) * out_plane;
    const int64_t* ix = indices + int64_t(plane) * out_plane;
    T acc = T(0);
    // Decreasing taps a, b give increasing oh, ow: the CPU's order of additions.
    for (I a = kh - 1; a >= 0; --a) {
      const I th = ih + ph - a * dh;
      if (th < 0 || th % sh != 0) continue;
      const I oh = th / sh;
      if (oh >= oh_n) break;  // later taps give larger oh still
      for (I b = kw - 1; b >= 0; --b) {
        const I tw = iw + pw - b * dw;
        if (tw < 0 || tw % sw != 0) continue;
        const I ow = tw / sw;
        if (ow >= ow_n) break;
        const I o = oh * ow_n + ow;
        if (ix[o] == at) acc += go[o];
      }
    }
    grad_in[i] = acc;
  }
}

// Deterministic fallback (see the header). grad_in: (planes, H, W);  grad_out, indices:
// (planes, OH, OW). One thread per plane.
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    max_pool2d_backward_plane_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out,
                                     const int64_t* __restrict__ indices, int64_t in_plane, int64_t out_plane,
                                     int64_t planes) {
  for (int64_t pl = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; pl < planes;
       pl += int64_t(blockDim.x) * gridDim.x) {
    T* dst = grad_in + pl * in_plane;
    const T* go = grad_out + pl * out_plane;
    const int64_t* ix = indices + pl * out_plane;
    for (int64_t i = 0; i < in_plane; ++i) dst[i] = T(0);
    for (int64_t o = 0; o < out_plane; ++o)
      if (ix[o] >= 0 && ix[o] < in_plane) dst[ix[o]] += go[o];
  }
}

/// Whether some output column's window taps no input column (header: the gather cannot see
/// where such a window's argmax points). Rows need no check: a window without rows points past
/// the plane, and both backward kernels skip it.
bool window_without_columns(const PoolGeom& g) {
  for (int64_t ow = 0; ow < g.ow; ++ow) {
    const int64_t w0 = ow * g.sw - g.pw;
    const int64_t wstart = w0 >= 0 ? w0 : w0 + ((-w0 + g.dw - 1) / g.dw) * g.dw;
    if (wstart >= std::min(w0 + (g.kw - 1) * g.dw + 1, g.w)) return true;
  }
  return false;
}

PoolGeom pool_geom(const Tensor& in, const Tensor& out, const PoolParams& p) {
  return PoolGeom{in.size(2),  in.size(3),  out.size(2),  out.size(3),  p.kernel[0],   p.kernel[1],
                  p.stride[0], p.stride[1], p.padding[0], p.padding[1], p.dilation[0], p.dilation[1]};
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in, const PoolParams& p) {
  const int64_t total = out.numel();
  if (total == 0) return;
  const cuda_kernels::PoolGeom g = cuda_kernels::pool_geom(in, out, p);
  int64_t* idx = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
  dispatch_floating(in.dtype(), "max_pool2d", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::max_pool2d_forward_kernel<T>
        <<<cuda_kernels::grid_for(total), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(
            out.data_ptr<T>(), idx, in.data_ptr<T>(), g, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices,
                                      const PoolParams& p) {
  const int64_t total = grad_in.numel();
  if (total == 0) return;
  const int64_t outs = grad_out.numel();
  if (is_deterministic() && outs > 0) {
    const cuda_kernels::PoolGeom g = cuda_kernels::pool_geom(grad_in, grad_out, p);
    const bool per_plane = cuda_kernels::window_without_columns(g);
    dispatch_floating(grad_in.dtype(), "max_pool2d_backward", [&](auto tag) {
      using T = typename decltype(tag)::type;
      if (per_plane) {
        const int64_t planes = grad_in.size(0) * grad_in.size(1);
        cuda_kernels::max_pool2d_backward_plane_kernel<T>
            <<<cuda_kernels::grid_for(planes), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(
                grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), g.h * g.w, g.oh * g.ow,
                planes);
      } else {
        // int32 when the planes, the window arithmetic (at most H + padding) and the element
        // count all fit.
        const bool fits32 = total <= cuda_kernels::kMax32 && grad_out.numel() <= cuda_kernels::kMax32 &&
                            g.h + g.ph <= cuda_kernels::kMax32 && g.w + g.pw <= cuda_kernels::kMax32 &&
                            (g.kh - 1) * g.dh <= cuda_kernels::kMax32 && (g.kw - 1) * g.dw <= cuda_kernels::kMax32;
        if (fits32)
          cuda_kernels::max_pool2d_backward_gather_kernel<T, int32_t>
              <<<cuda_kernels::grid_for(total), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(
                  grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), g, total);
        else
          cuda_kernels::max_pool2d_backward_gather_kernel<T, int64_t>
              <<<cuda_kernels::grid_for(total), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(
                  grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), g, total);
      }
      EMBER_CUDA_LAUNCH_CHECK();
    });
    return;
  }
  EMBER_CUDA_CHECK(cudaMemsetAsync(grad_in.data_ptr(), 0, size_t(total) * element_size(grad_in.dtype()),
                                   cuda_kernels::current_stream()));
  const int64_t in_plane = grad_in.size(2) * grad_in.size(3), out_plane = grad_out.size(2) * grad_out.size(3);
  if (outs == 0) return;  // no window: the gradient is zero everywhere
  dispatch_floating(grad_in.dtype(), "max_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::max_pool2d_backward_kernel<T>
        <<<cuda_kernels::grid_for(outs), cuda_kernels::kBlockSize, 0, cuda_kernels::current_stream()>>>(
            grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), in_plane, out_plane, outs);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember

// --- average and adaptive pooling ----------------------------------------------------------------
//
// Forwards: one thread per output element, the CPU's window and order of additions. Backwards
// gather (one thread per input element sums the windows that contain it, in increasing output
// order): no atomics, so the results repeat run to run. Adaptive max's backward scatters along
// its indices with atomics, or per plane in deterministic mode, as max_pool2d's.
namespace ember {
namespace cuda_kernels {
namespace {

__device__ __forceinline__ int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

struct AvgGeom {
  int64_t h, w, oh, ow, kh, kw, sh, sw, ph, pw, divisor_override;
  bool count_include_pad;
};

/// The window of output (oh, ow), clipped to the input, and its divisor (0: wholly in padding).
__device__ __forceinline__ int64_t avg_window(const AvgGeom& g, int64_t oh, int64_t ow, int64_t& h0, int64_t& h1,
                                              int64_t& w0, int64_t& w1) {
  h0 = oh * g.sh - g.ph;
  w0 = ow * g.sw - g.pw;
  h1 = min64(h0 + g.kh, g.h + g.ph);
  w1 = min64(w0 + g.kw, g.w + g.pw);
  const int64_t padded = (h1 - h0) * (w1 - w0);
  h0 = h0 > 0 ? h0 : 0;
  w0 = w0 > 0 ? w0 : 0;
  h1 = min64(h1, g.h);
  w1 = min64(w1, g.w);
  if (h0 >= h1 || w0 >= w1) return 0;
  return g.divisor_override > 0 ? g.divisor_override : g.count_include_pad ? padded : (h1 - h0) * (w1 - w0);
}

template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    avg_pool2d_forward_kernel(T* __restrict__ out, const T* __restrict__ in, AvgGeom g, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, plane = i / (g.ow * g.oh);
    int64_t h0, h1, w0, w1;
    const int64_t divisor = avg_window(g, oh, ow, h0, h1, w0, w1);
    if (divisor == 0) {
      out[i] = T(0);
      continue;
    }
    const T* src = in + plane * g.h * g.w;
    T sum = T(0);
    for (int64_t ih = h0; ih < h1; ++ih)
      for (int64_t iw = w0; iw < w1; ++iw) sum += src[ih * g.w + iw];
    out[i] = sum / T(divisor);
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    avg_pool2d_backward_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out, AvgGeom g, int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t iw = i % g.w, ih = (i / g.w) % g.h, plane = i / (g.w * g.h);
    const T* go = grad_out + plane * g.oh * g.ow;
    // Windows with oh * sh - ph <= ih < oh * sh - ph + kh.
    const int64_t oh_lo = max64(0, (ih + g.ph - g.kh) / g.sh), oh_hi = min64(g.oh - 1, (ih + g.ph) / g.sh);
    const int64_t ow_lo = max64(0, (iw + g.pw - g.kw) / g.sw), ow_hi = min64(g.ow - 1, (iw + g.pw) / g.sw);
    T acc = T(0);
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh) {
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        int64_t h0, h1, w0, w1;
        const int64_t divisor = avg_window(g, oh, ow, h0, h1, w0, w1);
        if (divisor != 0 && ih >= h0 && ih < h1 && iw >= w0 && iw < w1) acc += go[oh * g.ow + ow] / T(divisor);
      }
    }
    grad_in[i] = acc;
  }
}

__device__ __forceinline__ int64_t adaptive_start(int64_t o, int64_t out_size, int64_t in_size) {
  return (o * in_size) / out_size;
}
__device__ __forceinline__ int64_t adaptive_end(int64_t o, int64_t out_size, int64_t in_size) {
  return ((o + 1) * in_size + out_size - 1) / out_size;
}

// g.kh etc. unused: the windows follow from the sizes.
template <typename T, bool Max>
__global__ void __launch_bounds__(kBlockSize)
    adaptive_pool2d_forward_kernel(T* __restrict__ out, const T* __restrict__ in, AvgGeom g, int64_t total,
                                   int64_t* __restrict__ indices) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t ow = i % g.ow, oh = (i / g.ow) % g.oh, plane = i / (g.ow * g.oh);
    const int64_t h0 = adaptive_start(oh, g.oh, g.h), h1 = adaptive_end(oh, g.oh, g.h);
    const int64_t w0 = adaptive_start(ow, g.ow, g.w), w1 = adaptive_end(ow, g.ow, g.w);
    const T* src = in + plane * g.h * g.w;
    if (Max) {
      T best = -std::numeric_limits<T>::infinity();
      int64_t best_at = h0 * g.w + w0;
      for (int64_t ih = h0; ih < h1; ++ih) {
        for (int64_t iw = w0; iw < w1; ++iw) {
          const T v = src[ih * g.w + iw];
          if (v > best || is_nan(v)) {
            best = v;
            best_at = ih * g.w + iw;
          }
        }
      }
      out[i] = best;
      indices[i] = best_at;
    } else {
      T sum = T(0);
      for (int64_t ih = h0; ih < h1; ++ih)
        for (int64_t iw = w0; iw < w1; ++iw) sum += src[ih * g.w + iw];
      out[i] = sum / T((h1 - h0) * (w1 - w0));
    }
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    adaptive_avg_pool2d_backward_kernel(T* __restrict__ grad_in, const T* __restrict__ grad_out, AvgGeom g,
                                        int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t iw = i % g.w, ih = (i / g.w) % g.h, plane = i / (g.w * g.h);
    const T* go = grad_out + plane * g.oh * g.ow;
    // Candidate outputs around the inverse map, each checked against its own window.
    const int64_t oh_lo = max64(0, (ih * g.oh) / g.h - 1), oh_hi = min64(g.oh - 1, ((ih + 1) * g.oh) / g.h + 1);
    const int64_t ow_lo = max64(0, (iw * g.ow) / g.w - 1), ow_hi = min64(g.ow - 1, ((iw + 1) * g.ow) / g.w + 1);
    T acc = T(0);
    for (int64_t oh = oh_lo; oh <= oh_hi; ++oh) {
      const int64_t h0 = adaptive_start(oh, g.oh, g.h), h1 = adaptive_end(oh, g.oh, g.h);
      if (ih < h0 || ih >= h1) continue;
      for (int64_t ow = ow_lo; ow <= ow_hi; ++ow) {
        const int64_t w0 = adaptive_start(ow, g.ow, g.w), w1 = adaptive_end(ow, g.ow, g.w);
        if (iw < w0 || iw >= w1) continue;
        acc += go[oh * g.ow + ow] / T((h1 - h0) * (w1 - w0));
      }
    }
    grad_in[i] = acc;
  }
}

AvgGeom avg_geom(const Tensor& in, const Tensor& out, const PoolParams& p, bool count_include_pad,
                 int64_t divisor_override) {
  return AvgGeom{in.size(2),  in.size(3),  out.size(2),  out.size(3),  p.kernel[0],      p.kernel[1],
                 p.stride[0], p.stride[1], p.padding[0], p.padding[1], divisor_override, count_include_pad};
}
AvgGeom adaptive_geom(const Tensor& in, const Tensor& out) { return avg_geom(in, out, PoolParams{}, true, 0); }

/// Every launcher below but adaptive max's backward, written once: one grid-stride thread per
/// element of dst (the output forward, the input gradient backward), reading src through g.
/// kernel_for(tag) is the kernel for the tag's dtype; `extra` follows the common arguments.
template <typename KernelFor, typename... Extra>
void launch_per_element(const char* op, const Tensor& dst, const Tensor& src, const AvgGeom& g, KernelFor kernel_for,
                        Extra... extra) {
  const int64_t total = dst.numel();
  if (total == 0) return;
  dispatch_floating(dst.dtype(), op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    kernel_for(tag)<<<grid_for(total), kBlockSize, 0, current_stream()>>>(dst.data_ptr<T>(), src.data_ptr<T>(), g,
                                                                          total, extra...);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace
}  // namespace cuda_kernels

using cuda_kernels::launch_per_element;

void CudaBackend::avg_pool2d_forward(const Tensor& out, const Tensor& in, const PoolParams& p, bool count_include_pad,
                                     int64_t divisor_override) {
  launch_per_element("avg_pool2d", out, in, cuda_kernels::avg_geom(in, out, p, count_include_pad, divisor_override),
                     [](auto tag) { return cuda_kernels::avg_pool2d_forward_kernel<typename decltype(tag)::type>; });
}

void CudaBackend::avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const PoolParams& p,
                                      bool count_include_pad, int64_t divisor_override) {
  const cuda_kernels::AvgGeom g = cuda_kernels::avg_geom(grad_in, grad_out, p, count_include_pad, divisor_override);
  launch_per_element("avg_pool2d_backward", grad_in, grad_out, g,
                     [](auto tag) { return cuda_kernels::avg_pool2d_backward_kernel<typename decltype(tag)::type>; });
}

void CudaBackend::adaptive_avg_pool2d_forward(const Tensor& out, const Tensor& in) {
  launch_per_element(
      "adaptive_avg_pool2d", out, in, cuda_kernels::adaptive_geom(in, out),
      [](auto tag) { return cuda_kernels::adaptive_pool2d_forward_kernel<typename decltype(tag)::type, false>; },
      static_cast<int64_t*>(nullptr));
}

void CudaBackend::adaptive_avg_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out) {
  launch_per_element(
      "adaptive_avg_pool2d_backward", grad_in, grad_out, cuda_kernels::adaptive_geom(grad_in, grad_out),
      [](auto tag) { return cuda_kernels::adaptive_avg_pool2d_backward_kernel<typename decltype(tag)::type>; });
}

void CudaBackend::adaptive_max_pool2d_forward(const Tensor& out, const Tensor& indices, const Tensor& in) {
  launch_per_element(
      "adaptive_max_pool2d", out, in, cuda_kernels::adaptive_geom(in, out),
      [](auto tag) { return cuda_kernels::adaptive_pool2d_forward_kernel<typename decltype(tag)::type, true>; },
      indices.data_ptr<int64_t>());
}

void CudaBackend::adaptive_max_pool2d_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& indices) {
  using namespace cuda_kernels;
  const int64_t total = grad_in.numel();
  if (total == 0) return;
  const int64_t in_plane = grad_in.size(2) * grad_in.size(3), out_plane = grad_out.size(2) * grad_out.size(3);
  const int64_t outs = grad_out.numel(), planes = grad_in.size(0) * grad_in.size(1);
  dispatch_floating(grad_in.dtype(), "adaptive_max_pool2d_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (is_deterministic()) {
      // Adaptive windows may overlap: the per-plane kernel adds in the CPU's order, no atomics.
      max_pool2d_backward_plane_kernel<T><<<grid_for(planes), kBlockSize, 0, current_stream()>>>(
          grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), in_plane, out_plane, planes);
    } else {
      EMBER_CUDA_CHECK(
          cudaMemsetAsync(grad_in.data_ptr(), 0, size_t(total) * element_size(grad_in.dtype()), current_stream()));
      if (outs > 0)
        max_pool2d_backward_kernel<T><<<grid_for(outs), kBlockSize, 0, current_stream()>>>(
            grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), indices.data_ptr<int64_t>(), in_plane, out_plane, outs);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
