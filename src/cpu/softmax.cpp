// CPU softmax / log_softmax over the middle dim of a contiguous (outer, c, inner) tensor, and the
// two halves of the fused cross entropy (per-sample NLL with label smoothing, and its gradient
// with respect to the logits).
//
// Softmax subtracts the max along c before exponentiating, so large logits cannot overflow; sums
// accumulate in double so a long c does not lose float precision. When inner > 1 the c values of
// one position are inner apart: we walk a block of inner positions at once, keeping the inner
// (contiguous) index innermost so every pass reads memory sequentially.
#include <algorithm>
#include <cmath>
#include <limits>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr int64_t kInnerBlock = 64;

// Runs f(o, j0, j1) over every outer index and every block [j0, j1) of inner positions.
template <typename F>
void for_each_block(int64_t outer, int64_t c, int64_t inner, F&& f) {
  const int64_t blocks = (inner + kInnerBlock - 1) / kInnerBlock;
#pragma omp parallel for num_threads(get_num_threads()) collapse(2) schedule(static) if (outer * c * inner > 16384)
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t b = 0; b < blocks; ++b) f(o, b * kInnerBlock, std::min(inner, (b + 1) * kInnerBlock));
}

template <typename T>
void softmax_forward_impl(T* out, const T* in, int64_t outer, int64_t c, int64_t inner, bool log) {
  for_each_block(outer, c, inner, [&](int64_t o, int64_t j0, int64_t j1) {
    const int64_t base = o * c * inner;
    T max[kInnerBlock];
    double sum[kInnerBlock];
    const int64_t n = j1 - j0;
    for (int64_t j = 0; j < n; ++j) {
      max[j] = -std::numeric_limits<T>::infinity();
      sum[j] = 0;
    }
    for (int64_t k = 0; k < c; ++k) {
      const T* x = in + base + k * inner + j0;
      for (int64_t j = 0; j < n; ++j)
        if (x[j] > max[j] || std::isnan(x[j])) max[j] = x[j];
    }
    for (int64_t k = 0; k < c; ++k) {
      const T* x = in + base + k * inner + j0;
      T* y = out + base + k * inner + j0;
      for (int64_t j = 0; j < n; ++j) {
        const T e = std::exp(x[j] - max[j]);
        sum[j] += e;
        if (!log) y[j] = e;
      }
    }
    if (log) {
      // y = (x - max) - log(sum exp(x - max)): x - max is exact, whereas folding max into one
      // shift first rounds it at the logits' magnitude (6e-5 at 1000 in float32).
      T logsum[kInnerBlock];
      for (int64_t j = 0; j < n; ++j) logsum[j] = T(std::log(sum[j]));
      for (int64_t k = 0; k < c; ++k) {
        const T* x = in + base + k * inner + j0;
        T* y = out + base + k * inner + j0;
        for (int64_t j = 0; j < n; ++j) y[j] = (x[j] - max[j]) - logsum[j];
      }
    } else {
      T scale[kInnerBlock];
      for (int64_t j = 0; j < n; ++j) scale[j] = T(1.0 / sum[j]);
      for (int64_t k = 0; k < c; ++k) {
        T* y = out + base + k * inner + j0;
        for (int64_t j = 0; j < n; ++j) y[j] *= scale[j];
      }
    }
  });
}

// log:  grad_in = grad_out - exp(out) * sum_c(grad_out)
// else: grad_in = out * (grad_out - sum_c(grad_out * out))
template <typename T>
void softmax_backward_impl(T* gi, const T* go, const T* out, int64_t outer, int64_t c, int64_t inner, bool log) {
  for_each_block(outer, c, inner, [&](int64_t o, int64_t j0, int64_t j1) {
    const int64_t base = o * c * inner, n = j1 - j0;
    double acc[kInnerBlock];
    for (int64_t j = 0; j < n; ++j) acc[j] = 0;
    for (int64_t k = 0; k < c; ++k) {
      const int64_t at = base + k * inner + j0;
      for (int64_t j = 0; j < n; ++j) acc[j] += log ? double(go[at + j]) : double(go[at + j]) * out[at + j];
    }
    T dot[kInnerBlock];
    for (int64_t j = 0; j < n; ++j) dot[j] = T(acc[j]);
    for (int64_t k = 0; k < c; ++k) {
      const int64_t at = base + k * inner + j0;
      for (int64_t j = 0; j < n; ++j) {
        const T y = out[at + j], g = go[at + j];
        gi[at + j] = log ? g - std::exp(y) * dot[j] : y * (g - dot[j]);
      }
    }
  });
}

// The row rules (target_kind, smoothed_nll, SmoothedOneHot) are shared with kernels/softmax.cu
// (src/functors.h); here they run one row per iteration.
template <typename T>
void nll_forward_impl(T* losses, const T* logp, const int64_t* target, int64_t n, int64_t c, int64_t ignore_index,
                      double eps) {
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (n * c > 16384)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = target[i];
    const TargetKind kind = target_kind(t, c, ignore_index);
    if (kind != TargetKind::Class) {
      losses[i] = kind == TargetKind::Ignored ? T(0) : std::numeric_limits<T>::quiet_NaN();
      continue;
    }
    const T* row = logp + i * c;
    double total = 0;
    if (eps > 0)
      for (int64_t j = 0; j < c; ++j) total += row[j];
    losses[i] = T(smoothed_nll(double(row[t]), total, eps, c));
  }
}

template <typename T>
void cross_entropy_backward_impl(T* grad, const T* logp, const int64_t* target, int64_t n, int64_t c,
                                 int64_t ignore_index, double eps, double scale) {
  const T s = T(scale);
  const auto q = SmoothedOneHot<T>::make(eps, c);
#pragma omp parallel for num_threads(get_num_threads()) schedule(static) if (n * c > 16384)
  for (int64_t i = 0; i < n; ++i) {
    const int64_t t = target[i];
    const TargetKind kind = target_kind(t, c, ignore_index);
    T* g = grad + i * c;
    if (kind != TargetKind::Class) {
      std::fill(g, g + c, kind == TargetKind::Ignored ? T(0) : std::numeric_limits<T>::quiet_NaN());
      continue;
    }
    const T* row = logp + i * c;
    for (int64_t j = 0; j < c; ++j) g[j] = q.grad(row[j], j == t, s);
  }
}

}  // namespace

void CpuBackend::softmax_forward(const Tensor& out, const Tensor& in, int64_t outer, int64_t c, int64_t inner,
                                 bool log) {
  dispatch_floating(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    softmax_forward_impl<T>(out.data_ptr<T>(), in.data_ptr<T>(), outer, c, inner, log);
  });
}

void CpuBackend::softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t outer,
                                  int64_t c, int64_t inner, bool log) {
  dispatch_floating(out.dtype(), log ? "log_softmax_backward" : "softmax_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    softmax_backward_impl<T>(grad_in.data_ptr<T>(), grad_out.data_ptr<T>(), out.data_ptr<T>(), outer, c, inner, log);
  });
}

void CpuBackend::nll_forward(const Tensor& losses, const Tensor& logp, const Tensor& target, int64_t ignore_index,
                             double label_smoothing) {
  dispatch_floating(logp.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    nll_forward_impl<T>(losses.data_ptr<T>(), logp.data_ptr<T>(), target.data_ptr<int64_t>(), logp.size(0),
                        logp.size(1), ignore_index, label_smoothing);
  });
}

void CpuBackend::cross_entropy_backward(const Tensor& grad_logits, const Tensor& logp, const Tensor& target,
                                        int64_t ignore_index, double label_smoothing, double scale) {
  dispatch_floating(logp.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cross_entropy_backward_impl<T>(grad_logits.data_ptr<T>(), logp.data_ptr<T>(), target.data_ptr<int64_t>(),
                                   logp.size(0), logp.size(1), ignore_index, label_smoothing, scale);
  });
}

}  // namespace ember
