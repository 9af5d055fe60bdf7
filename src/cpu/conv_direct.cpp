// Direct float convolution with AVX-512 for the "same" shape: stride 1, dilation 1 and an output
// plane as large as the input (2 * padding = kernel - 1 in both dims), ResNet's 3x3 pad 1 and,
// through backward_input_as_forward, its input gradients.
//
// Why: with 16-64 channels the im2col + GEMM path spends more time writing and reading the
// columns (9 floats per input float for 3x3) than multiplying, since the product has only Cout
// rows to reuse each column for. Here nothing is materialised. In a "same" convolution output
// pixel q (flat h * W + w) reads tap (ki, kj) at input q + (ki - ph) * W + (kj - pw): one
// constant offset per tap for every pixel of the plane. So 16 consecutive output pixels (one
// vector, across row ends too) take their tap from ONE unaligned load at that offset, masked
// where the tap falls in the padding (a row above or below the plane, or a column that wraps to
// the neighbouring row); masked-off lanes are neither read nor faulted on. Each load feeds up to
// 16 FMAs, one per output channel of the block, with the weight broadcast from memory.
//
// Every output element is one thread's, summed over (c, ki, kj) in order: deterministic, and
// independent of the thread count.
#include <algorithm>
#include <vector>

#include <omp.h>

#include "conv_panels.h"
#include "cpu_backend.h"
#include "sgemm.h"

#include "avx512.h"  // intrinsics, EMBER_AVX512; ends with the pop below

namespace ember {
namespace cpu {
namespace {

constexpr int64_t kMaxTaps = 49;  // kernels up to 7x7

// One block of NCO output channels (co0 .. co0 + NCO) over the 16-pixel vectors [b0, b1) of one
// image. masks[b * taps + t] are tap t's live lanes in vector b; offs[t] its input offset.
template <int NCO>
EMBER_AVX512 void block(const float* image, const float* w, const float* bias, float* out, const ConvGeometry& g,
                        int64_t co0, int64_t b0, int64_t b1, const __mmask16* masks, const int64_t* offs) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, wstride = g.c * taps;
  const float* wb = w + co0 * wstride;
  for (int64_t b = b0; b < b1; ++b) {
    const int64_t q = b * 16;
    const __mmask16* m = masks + b * taps;
    __m512 acc[NCO];
    for (int j = 0; j < NCO; ++j) acc[j] = _mm512_set1_ps(bias ? bias[co0 + j] : 0.f);
    for (int64_t c = 0; c < g.c; ++c) {
      const float* plane = image + c * P + q;
      const float* wc = wb + c * taps;
      for (int64_t t = 0; t < taps; ++t) {
        const __m512 v = _mm512_maskz_loadu_ps(m[t], plane + offs[t]);
        for (int j = 0; j < NCO; ++j) acc[j] = _mm512_fmadd_ps(v, _mm512_set1_ps(wc[j * wstride + t]), acc[j]);
      }
    }
    const __mmask16 tail = q + 16 <= P ? __mmask16(0xFFFF) : __mmask16((1u << (P - q)) - 1);
    for (int j = 0; j < NCO; ++j) _mm512_mask_storeu_ps(out + (co0 + j) * P + q, tail, acc[j]);
  }
}

/// Each tap's input offset, and its live lanes in each 16-pixel vector of the plane (the same for
/// every image): masks[b * taps + t].
void tap_masks(const ConvGeometry& g, std::vector<int64_t>& offs, std::vector<__mmask16>& masks) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, vectors = (P + 15) / 16;
  offs.assign(static_cast<size_t>(taps), 0);
  masks.assign(static_cast<size_t>(vectors * taps), 0);
  for (int64_t ki = 0; ki < g.kh; ++ki)
    for (int64_t kj = 0; kj < g.kw; ++kj) offs[size_t(ki * g.kw + kj)] = (ki - g.ph) * g.w + (kj - g.pw);
  for (int64_t b = 0; b < vectors; ++b) {
    for (int64_t t = 0; t < taps; ++t) {
      const int64_t di = t / g.kw - g.ph, dj = t % g.kw - g.pw;
      unsigned m = 0;
      for (int64_t l = 0; l < 16; ++l) {
        const int64_t q = b * 16 + l, ih = q / g.w + di, iw = q % g.w + dj;
        if (q < P && ih >= 0 && ih < g.h && iw >= 0 && iw < g.w) m |= 1u << l;
      }
      masks[size_t(b * taps + t)] = __mmask16(m);
    }
  }
}

// The weight gradient's share of images [n0, n1) for NCO output channels from co0: acc holds
// one vector per (output channel, c, tap), [(j * C + c) * taps + t], each lane summing its own
// pixels. Per (c, tap) the NCO accumulators stay in registers while the images' pixels stream
// by; the caller picks image chunks whose planes stay in L2 across the taps.
template <int NCO>
EMBER_AVX512 void weight_block(const float* x, const float* go_all, int64_t n0, int64_t n1, float* acc,
                               const ConvGeometry& g, int64_t co0, const __mmask16* masks, const int64_t* offs) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, vectors = (P + 15) / 16;
  for (int64_t c = 0; c < g.c; ++c) {
    for (int64_t t = 0; t < taps; ++t) {
      __m512 a[NCO];
      for (int j = 0; j < NCO; ++j) a[j] = _mm512_loadu_ps(acc + ((j * g.c + c) * taps + t) * 16);
      for (int64_t n = n0; n < n1; ++n) {
        const float* plane = x + (n * g.c + c) * P;
        const float* go = go_all + n * g.cout * P;
        for (int64_t b = 0; b < vectors; ++b) {
          const __m512 v = _mm512_maskz_loadu_ps(masks[b * taps + t], plane + b * 16 + offs[t]);
          // grad_out past the plane's end (a ragged last vector) is masked by v's zero lanes.
          const __mmask16 tail = b * 16 + 16 <= P ? __mmask16(0xFFFF) : __mmask16((1u << (P - b * 16)) - 1);
          for (int j = 0; j < NCO; ++j)
            a[j] = _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(tail, go + (co0 + j) * P + b * 16), a[j]);
        }
      }
      for (int j = 0; j < NCO; ++j) _mm512_storeu_ps(acc + ((j * g.c + c) * taps + t) * 16, a[j]);
    }
  }
}

}  // namespace

bool conv_direct_applies(const ConvGeometry& g) {
  return sgemm_avx512_available() && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.oh == g.h && g.ow == g.w &&
         g.kh * g.kw <= kMaxTaps && g.h * g.w > 0;
}

EMBER_AVX512 void conv_direct_forward(const float* x, const float* w, const float* bias, float* y,
                                      const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, vectors = (P + 15) / 16;
  std::vector<int64_t> offs;
  std::vector<__mmask16> masks;
  tap_masks(g, offs, masks);
  // Units: (image, block of 16 output channels, run of vectors). The run keeps a unit's input
  // reads in L1 / L2 and gives the threads enough units when the batch is small.
  const int64_t co_blocks = (g.cout + 15) / 16;
  const int64_t run = std::max<int64_t>(1, std::min<int64_t>(vectors, 4096 / std::max<int64_t>(1, g.c * taps)));
  const int64_t runs = (vectors + run - 1) / run;
  const int64_t units = g.n * co_blocks * runs;
  const int threads = omp_in_parallel() ? 1 : int(std::min<int64_t>(get_num_threads(), units));
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1)
  for (int64_t u = 0; u < units; ++u) {
    const int64_t n = u / (co_blocks * runs), cb = u / runs % co_blocks, r = u % runs;
    const float* image = x + n * g.c * P;
    float* out = y + n * g.cout * P;
    const int64_t b0 = r * run, b1 = std::min(vectors, b0 + run);
    int64_t co = cb * 16;
    const int64_t co_end = std::min(g.cout, co + 16);
    // The block's channels in pieces of 16, 8, 4, 2, 1: every piece a compile-time width.
    for (; co + 16 <= co_end; co += 16) block<16>(image, w, bias, out, g, co, b0, b1, masks.data(), offs.data());
    for (; co + 8 <= co_end; co += 8) block<8>(image, w, bias, out, g, co, b0, b1, masks.data(), offs.data());
    for (; co + 4 <= co_end; co += 4) block<4>(image, w, bias, out, g, co, b0, b1, masks.data(), offs.data());
    for (; co + 2 <= co_end; co += 2) block<2>(image, w, bias, out, g, co, b0, b1, masks.data(), offs.data());
    for (; co < co_end; ++co) block<1>(image, w, bias, out, g, co, b0, b1, masks.data(), offs.data());
  }
}

EMBER_AVX512 void conv_direct_backward_weight(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  const int64_t taps = g.kh * g.kw, P = g.h * g.w, per_co = g.c * taps;
  std::vector<int64_t> offs;
  std::vector<__mmask16> masks;
  tap_masks(g, offs, masks);
  // Each thread sums its share of the images into its own vector accumulators (Cout * C * taps
  // of them); the shares are reduced in thread order, so a thread count gives one result.
  const int threads = omp_in_parallel() ? 1 : int(std::max<int64_t>(1, std::min<int64_t>(get_num_threads(), g.n)));
  // 16 lanes per accumulator (a vector of floats: std::vector<__m512> would drop the alignment).
  std::vector<float> partial(static_cast<size_t>(threads * g.cout * per_co * 16), 0.f);
#pragma omp parallel num_threads(threads) if (threads > 1)
  {
    const int t = threads > 1 ? omp_get_thread_num() : 0;
    float* acc = partial.data() + size_t(t) * size_t(g.cout * per_co * 16);
    const int64_t first = g.n * t / threads, last = g.n * (t + 1) / threads;
    // Images per chunk: their input planes and 8 grad_out planes in about 256 KiB (L2).
    const int64_t chunk = std::max<int64_t>(1, (int64_t(1) << 18) / std::max<int64_t>(1, P * 4 * (8 + 1)));
    for (int64_t n0 = first; n0 < last; n0 += chunk) {
      const int64_t n1 = std::min(last, n0 + chunk);
      int64_t co = 0;
      for (; co + 8 <= g.cout; co += 8)
        weight_block<8>(x, go, n0, n1, acc + co * per_co * 16, g, co, masks.data(), offs.data());
      for (; co + 4 <= g.cout; co += 4)
        weight_block<4>(x, go, n0, n1, acc + co * per_co * 16, g, co, masks.data(), offs.data());
      for (; co < g.cout; ++co)
        weight_block<1>(x, go, n0, n1, acc + co * per_co * 16, g, co, masks.data(), offs.data());
    }
  }
  for (int64_t i = 0; i < g.cout * per_co; ++i) {
    __m512 sum = _mm512_loadu_ps(partial.data() + i * 16);
    for (int t = 1; t < threads; ++t)
      sum =
          _mm512_add_ps(sum, _mm512_loadu_ps(partial.data() + (size_t(t) * size_t(g.cout * per_co) + size_t(i)) * 16));
    gw[i] = _mm512_reduce_add_ps(sum);
  }
}

}  // namespace cpu
}  // namespace ember

#pragma GCC diagnostic pop
