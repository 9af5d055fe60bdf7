// Layer norm and group norm over rows (src/row_norm.h): forward and fused backward.
//
// Forward: one block per row reduces the row twice in double (the mean, then the squared
// deviations from it: the two-pass variance), then writes the row's values (row_norm_apply).
//
// Backward: one block per row reduces the row's means of a = dy * weight and of a * xhat, then
// writes the row's input gradient (row_norm_input_grad); one block per affine parameter reduces
// its weight and bias gradients over the rows of its group. The rules are src/row_norm.h's, shared
// with the CPU. Block reductions add in a fixed order, so results repeat run to run.
#include "block_reduce.cuh"
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "tensor_impl.h"

namespace ember {
namespace cuda_kernels {
namespace {

// y, x: (rows, row_size); mean, rstd: (rows); weight, bias: (params) or null. Block r normalises
// row r: the block's sums give every thread the row's statistics, then each writes its values.
template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    row_norm_forward_kernel(T* __restrict__ y, T* __restrict__ mean, T* __restrict__ rstd, const T* __restrict__ x,
                            const T* __restrict__ weight, const T* __restrict__ bias, RowNormGeometry g, double eps) {
  const int64_t r = blockIdx.x, m = g.row_size;
  const T* xr = x + r * m;
  double sum = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) sum += double(xr[j]);
  const double mu = row_mean(block_sum(sum), m);
  double ss = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const double d = double(xr[j]) - mu;
    ss += d * d;
  }
  const T mean_t = T(mu), rstd_t = T(row_rstd(block_sum(ss), m, eps));
  if (threadIdx.x == 0) {
    mean[r] = mean_t;
    rstd[r] = rstd_t;
  }
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const int64_t p = g.param(r, j);
    y[r * m + j] =
        row_norm_apply(xr[j], mean_t, rstd_t, weight != nullptr ? weight[p] : T(1), bias != nullptr ? bias[p] : T(0));
  }
}

// dx, dy, x: (rows, row_size). Block r reduces row r's means of a = dy * weight and of a * xhat,
// then writes the row's input gradient.
template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    row_norm_input_grad_kernel(T* __restrict__ dx, const T* __restrict__ dy, const T* __restrict__ x,
                               const T* __restrict__ weight, const T* __restrict__ mean, const T* __restrict__ rstd,
                               RowNormGeometry g) {
  const int64_t r = blockIdx.x, m = g.row_size;
  const double mu = double(mean[r]), rs = double(rstd[r]);
  auto a_of = [&](int64_t j) {
    return mul_rn(double(dy[r * m + j]), weight != nullptr ? double(weight[g.param(r, j)]) : 1.0);
  };
  double s1 = 0, s2 = 0;
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const double a = a_of(j);
    s1 += a;
    s2 += a * ((double(x[r * m + j]) - mu) * rs);
  }
  const double mean_a = row_mean(block_sum(s1), m), mean_a_xhat = row_mean(block_sum(s2), m);
  for (int64_t j = threadIdx.x; j < m; j += blockDim.x) {
    const double xhat = (double(x[r * m + j]) - mu) * rs;
    dx[r * m + j] = T(row_norm_input_grad(a_of(j), xhat, mean_a, mean_a_xhat, rs));
  }
}

// grad_weight, grad_bias: (params) or null. Parameter p scales run k = p % runs of the rows of
// group p / runs: (rows / groups) runs of `inner` values.
template <typename T>
__global__ void __launch_bounds__(kReduceThreads)
    param_grad_kernel(T* __restrict__ grad_weight, T* __restrict__ grad_bias, const T* __restrict__ dy,
                      const T* __restrict__ x, const T* __restrict__ mean, const T* __restrict__ rstd,
                      RowNormGeometry g) {
  const int64_t p = blockIdx.x, runs = g.row_size / g.inner;
  const int64_t group = p / runs, k = p % runs, count = g.rows / g.groups * g.inner;
  double s1 = 0, s2 = 0;
  for (int64_t e = threadIdx.x; e < count; e += blockDim.x) {
    const int64_t r = group + (e / g.inner) * g.groups, o = r * g.row_size + k * g.inner + e % g.inner;
    const double d = double(dy[o]);
    s1 += d;
    s2 += d * ((double(x[o]) - double(mean[r])) * double(rstd[r]));
  }
  s1 = block_sum(s1);
  s2 = block_sum(s2);
  if (threadIdx.x == 0) {
    if (grad_bias != nullptr) grad_bias[p] = T(s1);
    if (grad_weight != nullptr) grad_weight[p] = T(s2);
  }
}

template <typename T>
T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::row_norm_forward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& in,
                                   const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps) {
  using namespace cuda_kernels;
  if (g.rows == 0) return;
  dispatch_floating(in.dtype(), "row_norm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    row_norm_forward_kernel<T><<<unsigned(g.rows), kReduceThreads, 0, current_stream()>>>(
        out.data_ptr<T>(), mean.data_ptr<T>(), rstd.data_ptr<T>(), in.data_ptr<T>(), ptr_or_null<T>(weight),
        ptr_or_null<T>(bias), g, eps);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::row_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                    const Tensor& grad_out, const Tensor& in, const Tensor& weight, const Tensor& mean,
                                    const Tensor& rstd, const RowNormGeometry& g) {
  using namespace cuda_kernels;
  dispatch_floating(in.dtype(), "row_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (grad_in.defined() && g.rows > 0) {
      row_norm_input_grad_kernel<T><<<unsigned(g.rows), kReduceThreads, 0, current_stream()>>>(
          grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), in.data_ptr<T>(), ptr_or_null<T>(weight), mean.data_ptr<T>(),
          rstd.data_ptr<T>(), g);
      EMBER_CUDA_LAUNCH_CHECK();
    }
    // One block per parameter; with no rows each block sums nothing and writes zeros.
    if ((grad_weight.defined() || grad_bias.defined()) && g.params() > 0) {
      param_grad_kernel<T><<<unsigned(g.params()), kReduceThreads, 0, current_stream()>>>(
          ptr_or_null<T>(grad_weight), ptr_or_null<T>(grad_bias), grad_out.data_ptr<T>(), in.data_ptr<T>(),
          mean.data_ptr<T>(), rstd.data_ptr<T>(), g);
      EMBER_CUDA_LAUNCH_CHECK();
    }
  });
}

}  // namespace ember
