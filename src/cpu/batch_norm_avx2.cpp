// The float32 batch norm's per-channel sweeps on AVX2 + FMA (batch_norm_avx2.h says why and how).
#include "batch_norm_avx2.h"

#include <algorithm>

#include "avx2.h"

namespace ember {
namespace cpu {
namespace {

/// Values per block: 32 float lanes then sum at most 64 values each.
constexpr int64_t kBlock = 2048;

EMBER_AVX2_BEGIN

inline double sum_lanes(__m256 v) {
  const __m256d d =
      _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  const __m128d h = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
  return _mm_cvtsd_f64(_mm_add_sd(h, _mm_unpackhi_pd(h, h)));
}

// Per block: sum(f(x)) over n values, f applied to vectors and (the last n % 8) to scalars,
// accumulated in 32 float lanes and returned in double.
template <class FV, class FS>
inline double block_sum(int64_t n, FV fv, FS fs) {
  __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
  int64_t j = 0;
  for (; j + 32 <= n; j += 32) {
    a0 = fv(j, a0);
    a1 = fv(j + 8, a1);
    a2 = fv(j + 16, a2);
    a3 = fv(j + 24, a3);
  }
  for (; j + 8 <= n; j += 8) a0 = fv(j, a0);
  double total = sum_lanes(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; j < n; ++j) total += fs(j);
  return total;
}

// Calls f(p, count) for each block of the channel: p the offset of its first value from base.
template <class F>
inline void for_blocks(const BnChannel& x, F f) {
  for (int64_t i = 0; i < x.runs; ++i)
    for (int64_t j = 0; j < x.inner; j += kBlock) f(i * x.stride + j, std::min(kBlock, x.inner - j));
}

}  // namespace

void bn_stats_avx2(const BnChannel& x, double& mean, double& m2) {
  double count = 0, mu = 0, sq = 0;
  for_blocks(x, [&](int64_t off, int64_t nb) {
    const float* p = x.base + off;
    const double s = block_sum(
        nb, [p](int64_t j, __m256 a) { return _mm256_add_ps(a, _mm256_loadu_ps(p + j)); },
        [p](int64_t j) { return double(p[j]); });
    const double mb = s / double(nb);
    const float mf = float(mb);
    const __m256 mv = _mm256_set1_ps(mf);
    const double q = block_sum(
        nb,
        [p, mv](int64_t j, __m256 a) {
          const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(p + j), mv);
          return _mm256_fmadd_ps(d, d, a);
        },
        [p, mf](int64_t j) {
          const double d = double(p[j] - mf);
          return d * d;
        });
    // Deviations from the float-rounded block mean, moved to the exact one:
    // sum (x - mb)^2 = sum (x - mf)^2 - nb (mb - mf)^2.
    const double shift = mb - double(mf);
    const double m2b = std::max(0.0, q - double(nb) * shift * shift);
    const double total = count + double(nb), delta = mb - mu;
    mu += delta * double(nb) / total;
    sq += m2b + delta * delta * count * double(nb) / total;
    count = total;
  });
  mean = mu;
  m2 = sq;
}

void bn_normalize_avx2(const BnChannel& x, float* y, float mean, float scale, float shift) {
  const __m256 mv = _mm256_set1_ps(mean), sv = _mm256_set1_ps(scale), bv = _mm256_set1_ps(shift);
  for (int64_t i = 0; i < x.runs; ++i) {
    const float* src = x.base + i * x.stride;
    float* dst = y + i * x.stride;
    int64_t j = 0;
    for (; j + 8 <= x.inner; j += 8)
      _mm256_storeu_ps(dst + j, _mm256_add_ps(_mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(src + j), mv), sv), bv));
    for (; j < x.inner; ++j) dst[j] = (src[j] - mean) * scale + shift;
  }
}

void bn_backward_sums_avx2(const BnChannel& x, const float* dy, float mean, double& sum_dy, double& sum_dy_xmu) {
  const __m256 mv = _mm256_set1_ps(mean);
  double s1 = 0, s2 = 0;
  for_blocks(x, [&](int64_t off, int64_t nb) {
    const float* px = x.base + off;
    const float* pd = dy + off;
    s1 += block_sum(
        nb, [pd](int64_t j, __m256 a) { return _mm256_add_ps(a, _mm256_loadu_ps(pd + j)); },
        [pd](int64_t j) { return double(pd[j]); });
    s2 += block_sum(
        nb,
        [px, pd, mv](int64_t j, __m256 a) {
          return _mm256_fmadd_ps(_mm256_loadu_ps(pd + j), _mm256_sub_ps(_mm256_loadu_ps(px + j), mv), a);
        },
        [px, pd, mean](int64_t j) { return double(pd[j]) * double(px[j] - mean); });
  });
  sum_dy = s1;
  sum_dy_xmu = s2;
}

void bn_backward_dx_avx2(const BnChannel& x, const float* dy, float* dx, float mean, float a, float bx, float c0) {
  const __m256 mv = _mm256_set1_ps(mean), av = _mm256_set1_ps(a), bv = _mm256_set1_ps(bx), cv = _mm256_set1_ps(c0);
  for (int64_t i = 0; i < x.runs; ++i) {
    const float* px = x.base + i * x.stride;
    const float* pd = dy + i * x.stride;
    float* out = dx + i * x.stride;
    int64_t j = 0;
    for (; j + 8 <= x.inner; j += 8) {
      const __m256 centred = _mm256_sub_ps(_mm256_loadu_ps(px + j), mv);
      _mm256_storeu_ps(out + j, _mm256_add_ps(_mm256_mul_ps(_mm256_loadu_ps(pd + j), av),
                                              _mm256_add_ps(_mm256_mul_ps(centred, bv), cv)));
    }
    for (; j < x.inner; ++j) out[j] = pd[j] * a + ((px[j] - mean) * bx + c0);
  }
}

EMBER_AVX2_END

}  // namespace cpu
}  // namespace ember
