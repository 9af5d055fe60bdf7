// Batch norm (NCHW viewed as (N, C, inner)): forward and fused backward.
//
// Forward, training: one block per channel reduces the channel's values twice in double (the
// mean, then the squared deviations from it: the two-pass variance, sound where E[x^2] - E[x]^2
// cancels) and thread 0 writes the saved statistics and updates the running ones. Eval: one
// thread per channel derives the statistics from the running ones. Then one elementwise kernel
// applies y = (x - mean) * scale + bias.
//
// Backward: one block per channel reduces sum(dy) and sum(dy * (x - mean)) in double and writes
// the weight and bias gradients (and the two sums, for the next kernel); one elementwise kernel
// writes grad_in. Block reductions add in a fixed order, so results repeat run to run.
#include <cmath>

#include "block_reduce.cuh"
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "tensor_impl.h"

namespace ember {
namespace cuda_kernels {
namespace {

struct Shape {
  int64_t n, c, inner;
};

/// Offset of the e-th element of channel ch.
__device__ __forceinline__ int64_t channel_offset(const Shape& s, int64_t ch, int64_t e) {
  return (e / s.inner) * s.c * s.inner + ch * s.inner + e % s.inner;
}

template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    bn_stats_kernel(T* __restrict__ save_mean, T* __restrict__ save_invstd, T* __restrict__ running_mean,
                    T* __restrict__ running_var, const T* __restrict__ x, Shape s, double momentum, double eps) {
  const int64_t ch = blockIdx.x, count = s.n * s.inner;
  double sum = 0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) sum += double(x[channel_offset(s, ch, e)]);
  const double mean = count > 0 ? block_sum(sum) / double(count) : 0.0;
  double ss = 0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    const double d = double(x[channel_offset(s, ch, e)]) - mean;
    ss += d * d;
  }
  ss = block_sum(ss);
  if (threadIdx.x == 0) {
    const double var = count > 0 ? ss / double(count) : 0.0;
    save_mean[ch] = T(mean);
    save_invstd[ch] = T(1.0 / ::sqrt(var + eps));
    if (running_mean != nullptr && count > 0)
      running_mean[ch] = T((1.0 - momentum) * double(running_mean[ch]) + momentum * mean);
    if (running_var != nullptr && count > 1)
      running_var[ch] = T((1.0 - momentum) * double(running_var[ch]) + momentum * ss / double(count - 1));
  }
}

template <typename T>
__global__ void bn_eval_stats_kernel(T* __restrict__ save_mean, T* __restrict__ save_invstd,
                                     const T* __restrict__ running_mean, const T* __restrict__ running_var, int64_t c,
                                     double eps) {
  const int64_t ch = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (ch >= c) return;
  save_mean[ch] = running_mean[ch];
  save_invstd[ch] = T(1.0 / ::sqrt(double(running_var[ch]) + eps));
}

template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    bn_apply_kernel(T* __restrict__ y, const T* __restrict__ x, const T* __restrict__ mean,
                    const T* __restrict__ invstd, const T* __restrict__ weight, const T* __restrict__ bias, Shape s,
                    int64_t total) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t ch = (i / s.inner) % s.c;
    const T scale = invstd[ch] * (weight != nullptr ? weight[ch] : T(1));
    // Centred first, as the CPU's: no cancellation of two large terms when |mean| >> std.
    y[i] = (x[i] - mean[ch]) * scale + (bias != nullptr ? bias[ch] : T(0));
  }
}

// sums: (2, C) doubles, sum(dy) then sum(dy * (x - mean)).
template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    bn_backward_reduce_kernel(double* __restrict__ sums, T* __restrict__ grad_weight, T* __restrict__ grad_bias,
                              const T* __restrict__ dy, const T* __restrict__ x, const T* __restrict__ mean,
                              const T* __restrict__ invstd, Shape s) {
  const int64_t ch = blockIdx.x, count = s.n * s.inner;
  const double m = double(mean[ch]);
  double s1 = 0, s2 = 0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    const int64_t o = channel_offset(s, ch, e);
    const double d = double(dy[o]);
    s1 += d;
    s2 += d * (double(x[o]) - m);
  }
  s1 = block_sum(s1);
  s2 = block_sum(s2);
  if (threadIdx.x == 0) {
    sums[ch] = s1;
    sums[s.c + ch] = s2;
    if (grad_bias != nullptr) grad_bias[ch] = T(s1);
    if (grad_weight != nullptr) grad_weight[ch] = T(s2 * double(invstd[ch]));
  }
}

template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    bn_backward_input_kernel(T* __restrict__ dx, const T* __restrict__ dy, const T* __restrict__ x,
                             const double* __restrict__ sums, const T* __restrict__ mean, const T* __restrict__ invstd,
                             const T* __restrict__ weight, Shape s, bool training, int64_t total) {
  const double count = double(s.n * s.inner);
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t ch = (i / s.inner) % s.c;
    const double is = double(invstd[ch]);
    const double g = is * (weight != nullptr ? double(weight[ch]) : 1.0);
    double v = double(dy[i]);
    if (training) {
      const double k = sums[s.c + ch] / count * is * is;
      v = v - sums[ch] / count - (double(x[i]) - double(mean[ch])) * k;
    }
    dx[i] = T(v * g);
  }
}

Shape shape_of(const Tensor& in) {
  const int64_t n = in.size(0), c = in.size(1);
  return Shape{n, c, n * c > 0 ? in.numel() / (n * c) : 0};
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::batch_norm_forward(const Tensor& out, const Tensor& save_mean, const Tensor& save_invstd,
                                     const Tensor& in, const Tensor& weight, const Tensor& bias,
                                     const Tensor& running_mean, const Tensor& running_var, bool training,
                                     double momentum, double eps) {
  using namespace cuda_kernels;
  const Shape s = shape_of(in);
  if (s.c == 0) return;
  dispatch_floating(in.dtype(), "batch_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (training) {
      bn_stats_kernel<T><<<unsigned(s.c), kReduceThreads, 0, current_stream()>>>(
          save_mean.data_ptr<T>(), save_invstd.data_ptr<T>(), ptr_or_null<T>(running_mean), ptr_or_null<T>(running_var),
          in.data_ptr<T>(), s, momentum, eps);
    } else {
      bn_eval_stats_kernel<T><<<unsigned((s.c + kBlockSize - 1) / kBlockSize), kBlockSize, 0, current_stream()>>>(
          save_mean.data_ptr<T>(), save_invstd.data_ptr<T>(), running_mean.data_ptr<T>(), running_var.data_ptr<T>(),
          s.c, eps);
    }
    EMBER_CUDA_LAUNCH_CHECK();
    const int64_t total = in.numel();
    if (total == 0) return;
    bn_apply_kernel<T><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
        out.data_ptr<T>(), in.data_ptr<T>(), save_mean.data_ptr<T>(), save_invstd.data_ptr<T>(), ptr_or_null<T>(weight),
        ptr_or_null<T>(bias), s, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::batch_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                      const Tensor& grad_out, const Tensor& in, const Tensor& weight,
                                      const Tensor& save_mean, const Tensor& save_invstd, bool training) {
  using namespace cuda_kernels;
  const Shape s = shape_of(in);
  if (s.c == 0) return;
  Tensor sums = make_empty({2 * s.c}, kDouble, in.device());
  dispatch_floating(in.dtype(), "batch_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    bn_backward_reduce_kernel<T><<<unsigned(s.c), kReduceThreads, 0, current_stream()>>>(
        sums.data_ptr<double>(), ptr_or_null<T>(grad_weight), ptr_or_null<T>(grad_bias), grad_out.data_ptr<T>(),
        in.data_ptr<T>(), save_mean.data_ptr<T>(), save_invstd.data_ptr<T>(), s);
    EMBER_CUDA_LAUNCH_CHECK();
    const int64_t total = in.numel();
    if (!grad_in.defined() || total == 0) return;
    bn_backward_input_kernel<T><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
        grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), in.data_ptr<T>(), sums.data_ptr<double>(),
        save_mean.data_ptr<T>(), save_invstd.data_ptr<T>(), ptr_or_null<T>(weight), s, training, total);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
