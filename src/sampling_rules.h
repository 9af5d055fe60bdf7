#pragma once
// The rules of the random samplers, once for both backends (host and device): how one draw
// becomes a value for exponential_, geometric_, cauchy_, log_normal_ and bernoulli_, and how
// multinomial picks categories from its draws. The CPU backend feeds them torch's draws (one
// 53-bit double uniform per element, or one Box-Muller normal for log_normal_) so the values are
// torch's; the CUDA backend feeds them Philox draws.
//
// The formulas are torch 1.13's CPU transforms (ATen/core/TransformationHelper.h), evaluated in
// double as its CPU kernels do; where torch's AVX2 build contracts a multiply and an add into an
// FMA we write fma, so the bits do not depend on how ember is compiled.
#include <cmath>
#include <cstdint>

#if !defined(EMBER_HD)
#if defined(__CUDACC__)
#define EMBER_HD __host__ __device__ __forceinline__
#else
#define EMBER_HD inline
#endif
#endif

namespace ember {

enum class Sampler {
  Exponential,  // a = lambda
  Geometric,    // a = p
  Cauchy,       // a = median, b = sigma
  LogNormal,    // a = mean, b = std of the underlying normal; the draw is a standard normal
  Bernoulli,    // a = p
};

/// Whether `kind` draws a standard normal (else a uniform in [0, 1)).
EMBER_HD bool draws_normal(Sampler kind) { return kind == Sampler::LogNormal; }

/// The value of one draw (a uniform u in [0, 1), or a standard normal for LogNormal).
EMBER_HD double sample_value(Sampler kind, double draw, double a, double b) {
  switch (kind) {
    case Sampler::Exponential: return -1.0 / a * ::log(1.0 - draw);  // 1 - u in (0, 1]: finite
    case Sampler::Geometric: return ::ceil(::log(draw) / ::log(1.0 - a));
    case Sampler::Cauchy: return ::fma(b, ::tan(3.14159265358979323846 * (draw - 0.5)), a);
    case Sampler::LogNormal: return ::exp(::fma(draw, b, a));
    case Sampler::Bernoulli: return draw < a ? 1.0 : 0.0;
  }
  return 0.0;
}

// --- multinomial ----------------------------------------------------------------------------------

/// The order of multinomial's picks without replacement: larger score p / q first (q an
/// exponential draw: the Gumbel-max trick), and among equal scores the lower index.
template <typename T>
EMBER_HD bool picked_before(T score_a, int64_t a, T score_b, int64_t b) {
  return score_a > score_b || (score_a == score_b && a < b);
}

/// The normalised cumulative distribution of one row of weights p (stride between categories),
/// accumulated in T as torch does; the last entry is exactly 1 so every uniform lands in a bucket.
template <typename T>
EMBER_HD void multinomial_cdf(const T* p, int64_t stride, int64_t categories, T* cdf) {
  T sum = 0;
  for (int64_t j = 0; j < categories; ++j) {
    sum += p[j * stride];
    cdf[j] = sum;
  }
  for (int64_t j = 0; j < categories; ++j) cdf[j] /= sum;
  cdf[categories - 1] = 1;
}

/// The first category whose cumulative probability is >= u (binary search).
template <typename T>
EMBER_HD int64_t multinomial_bucket(const T* cdf, int64_t categories, double u) {
  int64_t left = 0, right = categories;
  while (right > left) {
    const int64_t mid = left + (right - left) / 2;
    if (double(cdf[mid]) < u) left = mid + 1;
    else right = mid;
  }
  return left;
}

}  // namespace ember
