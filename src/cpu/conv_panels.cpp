// im2col into the AVX-512 GEMM's packed-B panels (see conv_panels.h). Compiled for AVX-512 per
// function, like sgemm_avx512.cpp: only entered after sgemm_avx512_available().
#include "conv_panels.h"

#include <algorithm>

#include "sgemm.h"

#pragma GCC diagnostic push  // GCC 12's AVX-512 headers: see sgemm_avx512.cpp
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define EMBER_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

namespace ember {
namespace cpu {
namespace {

constexpr int64_t kPanel = kSgemmPanel;

// Lanes [lo, hi) of a 16-lane mask (both clamped to [0, 16]).
inline __mmask16 lane_range(int64_t lo, int64_t hi) {
  lo = std::clamp<int64_t>(lo, 0, 16);
  hi = std::clamp<int64_t>(hi, 0, 16);
  return lo >= hi ? __mmask16(0) : __mmask16(((1u << hi) - 1) & ~((1u << lo) - 1));
}

// n (<= 32) values of one column row into dst[0, n): src[t * sw] for t in [ta, tb), zero
// elsewhere (padding). With unit stride, two masked loads and stores: masked-off lanes are
// neither read nor faulted on, so src may point outside the row there.
EMBER_AVX512 void write_run(float* dst, const float* src, int64_t sw, int64_t n, int64_t ta, int64_t tb) {
  if (sw == 1) {
    for (int64_t t0 = 0; t0 < n; t0 += 16) {
      const __m512 v = _mm512_maskz_loadu_ps(lane_range(ta - t0, tb - t0), src + t0);
      _mm512_mask_storeu_ps(dst + t0, lane_range(0, n - t0), v);
    }
    return;
  }
  for (int64_t t = 0; t < n; ++t) dst[t] = t >= ta && t < tb ? src[t * sw] : 0.f;
}

}  // namespace

EMBER_AVX512 void im2col_panels(const float* x, int64_t image_stride, int64_t nb, int64_t p0, int64_t p1,
                                const ConvShape& g, float* panels) {
  const int64_t rows = g.c * g.kh * g.kw, len = p1 - p0, L = nb * len;
  const int64_t panel_floats = rows * kPanel;
  for (int64_t i = 0; i < nb; ++i) {
    const float* image = x + i * image_stride;
    for (int64_t oh = p0 / g.ow; oh * g.ow < p1; ++oh) {
      // This output row's pixels [ow0, ow1) are columns [q, q + ow1 - ow0) of the unit; cut
      // the run where it crosses into the next panel.
      const int64_t ow0 = std::max<int64_t>(p0 - oh * g.ow, 0), ow1 = std::min(g.ow, p1 - oh * g.ow);
      for (int64_t ow = ow0; ow < ow1;) {
        const int64_t q = i * len + oh * g.ow + ow - p0, lane = q % kPanel;
        const int64_t n = std::min(ow1 - ow, kPanel - lane);
        float* dst = panels + (q / kPanel) * panel_floats + lane;
        for (int64_t c = 0; c < g.c; ++c) {
          const float* plane = image + c * g.h * g.w;
          for (int64_t ki = 0; ki < g.kh; ++ki) {
            const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
            for (int64_t kj = 0; kj < g.kw; ++kj, dst += kPanel) {
              if (ih < 0 || ih >= g.h) {
                std::fill(dst, dst + n, 0.f);
                continue;
              }
              // Input column of run element t: (ow + t) * sw + off; valid for t in [ta, tb).
              const int64_t start = ow * g.sw - g.pw + kj * g.dw;
              const int64_t ta = start >= 0 ? 0 : (-start + g.sw - 1) / g.sw;
              const int64_t tb = start > g.w - 1 ? 0 : (g.w - 1 - start) / g.sw + 1;
              write_run(dst, plane + ih * g.w + start, g.sw, n, ta, std::min(tb, n));
            }
          }
        }
        ow += n;
      }
    }
  }
  if (L % kPanel != 0) {  // the last panel's columns past L: zero, so they hold no denormals or NaN
    float* last = panels + (L / kPanel) * panel_floats;
    for (int64_t r = 0; r < rows; ++r) std::fill(last + r * kPanel + L % kPanel, last + (r + 1) * kPanel, 0.f);
  }
}

}  // namespace cpu
}  // namespace ember

#pragma GCC diagnostic pop
