// CPU batch norm (NCHW viewed as (N, C, inner)): forward with the batch or running statistics and
// the running-statistics update, and the fused backward (grad input, weight and bias from one
// reduction pass and one write pass).
//
// Channels are the unit of parallel work: each channel's statistics are one thread's, so no
// reduction crosses threads and the result does not depend on the thread count. Within a channel
// the data is N runs of `inner` contiguous values; each run is reduced with an `omp simd`
// reduction (vector lanes), its sum added to a double accumulator. The variance is two-pass (the
// mean first, then the squared deviations from it) rather than E[x^2] - E[x]^2, which cancels
// catastrophically when |mean| >> std; the second pass reads data the first just brought into
// cache for all but the largest channels. Float32 on CPUs with AVX2 takes batch_norm_avx2.cpp's
// sweeps instead (the same formulas; the sums in float lanes per block, carried in double).
#include <cmath>
#include <type_traits>

#include "../dtype_dispatch.h"
#include "batch_norm_avx2.h"
#include "conv_direct.h"
#include "cpu_backend.h"

namespace ember {
namespace {

/// Channels of this many elements or more in all are worth the threads' start-up.
constexpr int64_t kParallelElements = 1 << 15;

/// Whether T's channels of runs of `inner` values take the AVX2 sweeps: float32, a CPU with
/// AVX2, and runs of at least one vector (shorter ones would be mostly scalar tails).
template <typename T>
bool use_avx2(int64_t inner) {
  return std::is_same<T, float>::value && inner >= 8 && cpu::simd_available(cpu::SimdIsa::avx2);
}

template <typename T>
struct Channel {
  const T* base;             // the channel's first element
  int64_t n, inner, stride;  // n runs of `inner` values, `stride` apart

  template <typename F>
  double sum(F f) const {
    double total = 0;
    for (int64_t i = 0; i < n; ++i) {
      const T* run = base + i * stride;
      // One run's sum in the data's precision (float lanes for float) would lose digits over a
      // run of thousands; double lanes keep the two-pass variance sound.
      double s = 0;
#pragma omp simd reduction(+ : s)
      for (int64_t j = 0; j < inner; ++j) s += f(double(run[j]));
      total += s;
    }
    return total;
  }
};

/// chan as the AVX2 sweeps' channel (T is float where they run).
template <typename T>
cpu::BnChannel float_channel(const Channel<T>& chan) {
  return cpu::BnChannel{reinterpret_cast<const float*>(chan.base), chan.n, chan.inner, chan.stride};
}

template <typename T>
void forward_impl(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd, const Tensor& in,
                  const Tensor& weight, const Tensor& bias, const Tensor& running_mean, const Tensor& running_var,
                  bool training, double momentum, double eps) {
  const int64_t n = in.size(0), c = in.size(1), inner = in.numel() / std::max<int64_t>(1, n * c);
  const int64_t count = n * inner;
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  T* sm = save_mean.data_ptr<T>();
  T* si = save_invstd.data_ptr<T>();
  const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
  const T* b = bias.defined() ? bias.data_ptr<T>() : nullptr;
  T* rm = running_mean.defined() ? running_mean.data_ptr<T>() : nullptr;
  T* rv = running_var.defined() ? running_var.data_ptr<T>() : nullptr;
  const bool avx2 = use_avx2<T>(inner);
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (in.numel() >= kParallelElements)
  for (int64_t ch = 0; ch < c; ++ch) {
    const Channel<T> chan{x + ch * inner, n, inner, c * inner};
    double mean, invstd;
    if (training) {
      double ss = 0;
      if (count == 0) {
        mean = 0;
      } else if (avx2) {
        cpu::bn_stats_avx2(float_channel(chan), mean, ss);
      } else {
        mean = chan.sum([](double v) { return v; }) / double(count);
        const double m = mean;
        ss = chan.sum([m](double v) { return (v - m) * (v - m); });
      }
      const double var = count > 0 ? ss / double(count) : 0.0;
      invstd = 1.0 / std::sqrt(var + eps);
      if (rm && count > 0) rm[ch] = T((1.0 - momentum) * double(rm[ch]) + momentum * mean);
      // The running variance is the unbiased estimate, as PyTorch's.
      if (rv && count > 1) rv[ch] = T((1.0 - momentum) * double(rv[ch]) + momentum * ss / double(count - 1));
    } else {
      mean = double(rm[ch]);
      invstd = 1.0 / std::sqrt(double(rv[ch]) + eps);
    }
    sm[ch] = T(mean);
    si[ch] = T(invstd);
    // y = (x - mean) * scale + bias. Not x * scale + (bias - mean * scale): with |mean| >> std
    // that cancels two large terms and loses the float32 output's digits.
    const T mean_t = T(mean), scale = T(invstd * (w ? double(w[ch]) : 1.0)), shift = T(b ? double(b[ch]) : 0.0);
    if (avx2) {
      cpu::bn_normalize_avx2(float_channel(chan), reinterpret_cast<float*>(y + ch * inner), float(mean_t), float(scale),
                             float(shift));
      continue;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* src = chan.base + i * chan.stride;
      T* dst = y + (src - x);
#pragma omp simd
      for (int64_t j = 0; j < inner; ++j) dst[j] = (src[j] - mean_t) * scale + shift;
    }
  }
}

template <typename T>
void backward_impl(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias, const Tensor& grad_out,
                   const Tensor& in, const Tensor& weight, const Tensor& save_mean, const Tensor& save_invstd,
                   bool training) {
  const int64_t n = in.size(0), c = in.size(1), inner = in.numel() / std::max<int64_t>(1, n * c);
  const int64_t count = n * inner;
  const T* x = in.data_ptr<T>();
  const T* dy = grad_out.data_ptr<T>();
  T* dx = grad_in.defined() ? grad_in.data_ptr<T>() : nullptr;
  T* gw = grad_weight.defined() ? grad_weight.data_ptr<T>() : nullptr;
  T* gb = grad_bias.defined() ? grad_bias.data_ptr<T>() : nullptr;
  const T* w = weight.defined() ? weight.data_ptr<T>() : nullptr;
  const T* sm = save_mean.data_ptr<T>();
  const T* si = save_invstd.data_ptr<T>();
  const bool avx2 = use_avx2<T>(inner);
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (in.numel() >= kParallelElements)
  for (int64_t ch = 0; ch < c; ++ch) {
    const int64_t stride = c * inner, offset = ch * inner;
    const double mean = double(sm[ch]), invstd = double(si[ch]);
    // sum(dy) and sum(dy * (x - mean)) in one pass over both tensors.
    double sum_dy = 0, sum_dy_xmu = 0;
    const cpu::BnChannel xc{reinterpret_cast<const float*>(x + offset), n, inner, stride};
    if (avx2)
      cpu::bn_backward_sums_avx2(xc, reinterpret_cast<const float*>(dy + offset), float(T(mean)), sum_dy, sum_dy_xmu);
    for (int64_t i = 0; i < n && !avx2; ++i) {
      const T* xr = x + offset + i * stride;
      const T* dr = dy + offset + i * stride;
      double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t j = 0; j < inner; ++j) {
        const double d = double(dr[j]);
        s1 += d;
        s2 += d * (double(xr[j]) - mean);
      }
      sum_dy += s1;
      sum_dy_xmu += s2;
    }
    if (gb) gb[ch] = T(sum_dy);
    if (gw) gw[ch] = T(sum_dy_xmu * invstd);
    if (!dx) continue;
    const double g = invstd * (w ? double(w[ch]) : 1.0);
    // training: dx = (dy - mean(dy) - (x - mean) * invstd^2 * mean(dy * (x - mean))) * g,
    // written dx = dy * a + ((x - mean) * bx + c0) (centred first, as in the forward).
    const T mean_t = T(mean);
    T a = T(g), bx = T(0), c0 = T(0);
    if (training && count > 0) {
      const double k = sum_dy_xmu / double(count) * invstd * invstd;
      bx = T(-k * g);
      c0 = T(-sum_dy / double(count) * g);
    }
    if (avx2) {
      cpu::bn_backward_dx_avx2(xc, reinterpret_cast<const float*>(dy + offset), reinterpret_cast<float*>(dx + offset),
                               float(mean_t), float(a), float(bx), float(c0));
      continue;
    }
    for (int64_t i = 0; i < n; ++i) {
      const T* xr = x + offset + i * stride;
      const T* dr = dy + offset + i * stride;
      T* out = dx + offset + i * stride;
#pragma omp simd
      for (int64_t j = 0; j < inner; ++j) out[j] = dr[j] * a + ((xr[j] - mean_t) * bx + c0);
    }
  }
}

}  // namespace

void CpuBackend::batch_norm_forward(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                    const Tensor& in, const Tensor& weight, const Tensor& bias,
                                    const Tensor& running_mean, const Tensor& running_var, bool training,
                                    double momentum, double eps) {
  dispatch_floating(in.dtype(), "batch_norm", [&](auto tag) {
    forward_impl<typename decltype(tag)::type>(out, save_mean, save_invstd, in, weight, bias, running_mean, running_var,
                                               training, momentum, eps);
  });
}

void CpuBackend::batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                     const Tensor& grad_out, const Tensor& in, const Tensor& weight,
                                     const Tensor& save_mean, const Tensor& save_invstd, bool training) {
  dispatch_floating(in.dtype(), "batch_norm_backward", [&](auto tag) {
    backward_impl<typename decltype(tag)::type>(grad_in, grad_weight, grad_bias, grad_out, in, weight, save_mean,
                                                save_invstd, training);
  });
}

}  // namespace ember
