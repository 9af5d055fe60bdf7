// CPU layer norm and group norm over rows (src/row_norm.h): the forward, and the fused backward
// (grad input, weight and bias).
//
// Rows are the unit of parallel work for the forward and the input gradient, affine parameters for
// the weight and bias gradients, so each sum is one thread's, in a fixed order: the results do not
// depend on the thread count. A row is runs of `inner` values sharing one parameter (one run per
// value for layer norm); each run is reduced with an `omp simd` reduction of doubles. The rules
// (the two-pass statistics, the affine map, the input gradient) are src/row_norm.h's, which the
// CUDA kernels share.
#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

/// Inputs of this many elements or more are worth the threads' start-up.
constexpr int64_t kParallelElements = 1 << 15;

template <typename T>
const T* ptr_or_null(const Tensor& t) {
  return t.defined() ? t.data_ptr<T>() : nullptr;
}

template <typename T>
void forward_impl(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& in, const Tensor& weight,
                  const Tensor& bias, const RowNormGeometry& g, double eps) {
  const int64_t m = g.row_size, runs = g.inner > 0 ? m / g.inner : 0;
  const T* x = in.data_ptr<T>();
  T* y = out.data_ptr<T>();
  T* mu = mean.data_ptr<T>();
  T* rs = rstd.data_ptr<T>();
  const T* w = ptr_or_null<T>(weight);
  const T* b = ptr_or_null<T>(bias);
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (in.numel() >= kParallelElements)
  for (int64_t r = 0; r < g.rows; ++r) {
    const T* xr = x + r * m;
    double sum = 0;
#pragma omp simd reduction(+ : sum)
    for (int64_t j = 0; j < m; ++j) sum += double(xr[j]);
    const double mean_d = row_mean(sum, m);
    double ss = 0;
#pragma omp simd reduction(+ : ss)
    for (int64_t j = 0; j < m; ++j) {
      const double d = double(xr[j]) - mean_d;
      ss += d * d;
    }
    const T mean_t = T(mean_d), rstd_t = T(row_rstd(ss, m, eps));
    mu[r] = mean_t;
    rs[r] = rstd_t;
    const int64_t p0 = m > 0 ? g.param(r, 0) : 0;
    for (int64_t k = 0; k < runs; ++k) {
      const T wk = w ? w[p0 + k] : T(1), bk = b ? b[p0 + k] : T(0);
      const T* xs = xr + k * g.inner;
      T* ys = y + r * m + k * g.inner;
#pragma omp simd
      for (int64_t t = 0; t < g.inner; ++t) ys[t] = row_norm_apply(xs[t], mean_t, rstd_t, wk, bk);
    }
  }
}

template <typename T>
void input_grad_impl(T* dx, const T* dy, const T* x, const T* w, const T* mu, const T* rs, const RowNormGeometry& g) {
  const int64_t m = g.row_size, runs = g.inner > 0 ? m / g.inner : 0;
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (g.rows * m >= kParallelElements)
  for (int64_t r = 0; r < g.rows; ++r) {
    const double mean = double(mu[r]), rstd = double(rs[r]);
    const int64_t p0 = m > 0 ? g.param(r, 0) : 0, base = r * m;
    // The row's sums of a = dy * weight and of a * xhat.
    double sum_a = 0, sum_a_xhat = 0;
    for (int64_t k = 0; k < runs; ++k) {
      const double wk = w ? double(w[p0 + k]) : 1.0;
      const int64_t o = base + k * g.inner;
      double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t t = 0; t < g.inner; ++t) {
        const double a = mul_rn(double(dy[o + t]), wk);
        s1 += a;
        s2 += a * ((double(x[o + t]) - mean) * rstd);
      }
      sum_a += s1;
      sum_a_xhat += s2;
    }
    const double mean_a = row_mean(sum_a, m), mean_a_xhat = row_mean(sum_a_xhat, m);
    for (int64_t k = 0; k < runs; ++k) {
      const double wk = w ? double(w[p0 + k]) : 1.0;
      const int64_t o = base + k * g.inner;
#pragma omp simd
      for (int64_t t = 0; t < g.inner; ++t) {
        const double xhat = (double(x[o + t]) - mean) * rstd;
        dx[o + t] = T(row_norm_input_grad(mul_rn(double(dy[o + t]), wk), xhat, mean_a, mean_a_xhat, rstd));
      }
    }
  }
}

/// grad_weight[p] = sum(dy * xhat) and grad_bias[p] = sum(dy) over the values parameter p scales:
/// run k of the rows of group p / runs.
template <typename T>
void param_grad_impl(T* gw, T* gb, const T* dy, const T* x, const T* mu, const T* rs, const RowNormGeometry& g) {
  const int64_t m = g.row_size, runs = g.inner > 0 ? m / g.inner : 0, params = g.params();
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (g.rows * m >= kParallelElements)
  for (int64_t p = 0; p < params; ++p) {
    const int64_t group = p / runs, k = p % runs;
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int64_t r = group; r < g.rows; r += g.groups) {
      const double mean = double(mu[r]), rstd = double(rs[r]);
      const int64_t o = r * m + k * g.inner;
      double s1 = 0, s2 = 0;
#pragma omp simd reduction(+ : s1, s2)
      for (int64_t t = 0; t < g.inner; ++t) {
        const double d = double(dy[o + t]);
        s1 += d;
        s2 += d * ((double(x[o + t]) - mean) * rstd);
      }
      sum_dy += s1;
      sum_dy_xhat += s2;
    }
    if (gb) gb[p] = T(sum_dy);
    if (gw) gw[p] = T(sum_dy_xhat);
  }
}

}  // namespace

void CpuBackend::row_norm_forward(const Tensor& out, const Tensor& mean, const Tensor& rstd, const Tensor& in,
                                  const Tensor& weight, const Tensor& bias, const RowNormGeometry& g, double eps) {
  dispatch_floating(in.dtype(), "row_norm", [&](auto tag) {
    forward_impl<typename decltype(tag)::type>(out, mean, rstd, in, weight, bias, g, eps);
  });
}

void CpuBackend::row_norm_backward(const Tensor& grad_in, const Tensor& grad_weight, const Tensor& grad_bias,
                                   const Tensor& grad_out, const Tensor& in, const Tensor& weight, const Tensor& mean,
                                   const Tensor& rstd, const RowNormGeometry& g) {
  dispatch_floating(in.dtype(), "row_norm_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* dy = grad_out.data_ptr<T>();
    const T* x = in.data_ptr<T>();
    const T* mu = mean.data_ptr<T>();
    const T* rs = rstd.data_ptr<T>();
    if (grad_in.defined()) input_grad_impl<T>(grad_in.data_ptr<T>(), dy, x, ptr_or_null<T>(weight), mu, rs, g);
    if (grad_weight.defined() || grad_bias.defined()) {
      T* gw = grad_weight.defined() ? grad_weight.data_ptr<T>() : nullptr;
      T* gb = grad_bias.defined() ? grad_bias.data_ptr<T>() : nullptr;
      param_grad_impl<T>(gw, gb, dy, x, mu, rs, g);
    }
  });
}

}  // namespace ember
