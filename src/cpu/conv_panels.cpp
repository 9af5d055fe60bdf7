// im2col into the AVX-512 GEMM's packed-B panels (see conv_panels.h). Compiled for AVX-512 per
// function, like sgemm_avx512.cpp: only entered after sgemm_avx512_available().
#include "conv_panels.h"

#include <algorithm>
#include <vector>

#include "sgemm.h"

#include "avx512.h"  // intrinsics, EMBER_AVX512; ends with the pop below

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

// Where kernel column kj reads for a run of n output columns starting at output column ow: the
// run's element t comes from input column start + t * sw, which is inside the row for t in
// [ta, tb) and padding elsewhere. With unit stride, `load` holds the live lanes of each half.
struct Tap {
  int64_t start, ta, tb;
  __mmask16 load[2];
};

Tap make_tap(const ConvGeometry& g, int64_t ow, int64_t kj, int64_t n) {
  Tap t;
  t.start = ow * g.sw - g.pw + kj * g.dw;
  t.ta = t.start >= 0 ? 0 : (-t.start + g.sw - 1) / g.sw;
  t.tb = std::min(n, t.start > g.w - 1 ? 0 : (g.w - 1 - t.start) / g.sw + 1);
  t.load[0] = lane_range(t.ta, t.tb);
  t.load[1] = lane_range(t.ta - 16, t.tb - 16);
  return t;
}

// n (<= 32) values of one column row into dst[0, n), the unit-stride case: two loads (masked
// where lanes are padding; masked-off lanes are neither read nor faulted on, so src may point
// outside the row there) and two stores (masked only for a run shorter than the panel).
EMBER_AVX512 inline void copy_run(float* dst, const float* src, const Tap& tap, int64_t n) {
  for (int half = 0; half < 2 && 16 * half < n; ++half) {
    const int64_t t0 = 16 * half;
    const __mmask16 live = tap.load[half];
    const __m512 v = live == 0xFFFF ? _mm512_loadu_ps(src + t0) : _mm512_maskz_loadu_ps(live, src + t0);
    if (n - t0 >= 16) _mm512_storeu_ps(dst + t0, v);
    else _mm512_mask_storeu_ps(dst + t0, lane_range(0, n - t0), v);
  }
}

}  // namespace

EMBER_AVX512 void im2col_panels(const float* x, int64_t image_stride, int64_t nb, int64_t p0, int64_t p1,
                                const ConvGeometry& g, float* panels) {
  const int64_t rows = g.c * g.kh * g.kw, len = p1 - p0, L = nb * len;
  std::vector<Tap> taps(size_t(g.kw));
  for (int64_t i = 0; i < nb; ++i) {
    const float* image = x + i * image_stride;
    for (int64_t oh = p0 / g.ow; oh * g.ow < p1; ++oh) {
      // This output row's pixels [ow0, ow1) are columns [q, q + ow1 - ow0) of the unit, taken in
      // runs that stay inside one panel (32 columns).
      const int64_t ow0 = std::max<int64_t>(p0 - oh * g.ow, 0), ow1 = std::min(g.ow, p1 - oh * g.ow);
      for (int64_t ow = ow0; ow < ow1;) {
        const int64_t q = i * len + oh * g.ow + ow - p0, lane = q % kPanel;
        const int64_t n = std::min(ow1 - ow, kPanel - lane);
        for (int64_t kj = 0; kj < g.kw; ++kj) taps[size_t(kj)] = make_tap(g, ow, kj, n);
        float* dst = panels + (q / kPanel) * rows * kPanel + lane;  // row r at dst + r * 32
        for (int64_t c = 0; c < g.c; ++c) {
          const float* plane = image + c * g.h * g.w;
          for (int64_t ki = 0; ki < g.kh; ++ki, dst += g.kw * kPanel) {
            const int64_t ih = oh * g.sh - g.ph + ki * g.dh;
            if (ih < 0 || ih >= g.h) {  // a padding row
              for (int64_t kj = 0; kj < g.kw; ++kj) std::fill(dst + kj * kPanel, dst + kj * kPanel + n, 0.f);
              continue;
            }
            const float* row = plane + ih * g.w;
            for (int64_t kj = 0; kj < g.kw; ++kj) {
              const Tap& tap = taps[size_t(kj)];
              float* d = dst + kj * kPanel;
              if (g.sw == 1) {
                copy_run(d, row + tap.start, tap, n);
              } else {
                for (int64_t t = 0; t < n; ++t) d[t] = t >= tap.ta && t < tap.tb ? row[tap.start + t * g.sw] : 0.f;
              }
            }
          }
        }
        ow += n;
      }
    }
  }
  if (L % kPanel != 0) {  // the last panel's columns past L: zero, so they hold no denormals or NaN
    float* last = panels + (L / kPanel) * rows * kPanel;
    for (int64_t r = 0; r < rows; ++r) std::fill(last + r * kPanel + L % kPanel, last + (r + 1) * kPanel, 0.f);
  }
}

}  // namespace cpu
}  // namespace ember

#pragma GCC diagnostic pop
