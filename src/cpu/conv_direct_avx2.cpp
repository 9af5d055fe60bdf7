// The direct convolution (conv_direct_kernels.h) on 8-float AVX2 vectors with FMA, for CPUs
// without AVX-512 (conv_direct.cpp picks it). Lane masks are vectors of 32-bit all-ones / zero
// lanes, which _mm256_maskload_ps reads without touching (or faulting on) the masked-off lanes.
#include <algorithm>
#include <vector>

#include <omp.h>

#include "conv_direct.h"
#include "cpu_backend.h"

#include "avx2.h"

namespace ember {
namespace cpu {
namespace {

EMBER_AVX2_BEGIN

struct Avx2 {
  static constexpr int64_t kLanes = 8;
  // Register blocking (conv_direct_kernels.h): 16 ymm registers.
  static constexpr int kFwdNco = 4, kFwdNv = 3, kFwdBlock = 16;
  // Weight tiles of 4 x 3 as the forward's (12 accumulators, 3 inputs, 1 grad_out vector): 7
  // loads per 12 FMAs. 3 x 3 (6 per 9) ran ResNet-20's weight gradients 10-20% slower.
  static constexpr int kWgtNco = 4, kWgtNt = 3;
  static constexpr bool kPadded = true;  // masks cost loads of their own on AVX2
  static constexpr int64_t kWgtChunkBytes = int64_t(1) << 14;
  using Vec = __m256;
  using Mask = __m256i;
  // Unaligned in memory: std::vector does not promise 32-byte alignment.
  struct MaskSlot {
    int lanes[8];
  };
  static inline Mask get(const MaskSlot& s) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s.lanes)); }
  static inline void put(MaskSlot& s, Mask m) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(s.lanes), m); }
  static inline Mask mask(unsigned bits) {
    const __m256i lane = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    return _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32(int(bits)), lane), lane);
  }
  static inline Mask first(int64_t k) {
    // Lanes [0, k): a window into eight all-ones then eight zeros.
    alignas(32) static const int kWindow[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(kWindow + 8 - std::min<int64_t>(k, 8)));
  }
  static inline Vec load(Mask m, const float* p) { return _mm256_maskload_ps(p, m); }
  static inline Vec loadu(const float* p) { return _mm256_loadu_ps(p); }
  static inline void store(Mask m, float* p, Vec v) { _mm256_maskstore_ps(p, m, v); }
  static inline void storeu(float* p, Vec v) { _mm256_storeu_ps(p, v); }
  static inline Vec set1(float x) { return _mm256_set1_ps(x); }
  static inline Vec zero() { return _mm256_setzero_ps(); }
  static inline Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static inline Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  static inline float sum(Vec v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

#include "conv_direct_kernels.h"

EMBER_AVX2_END

}  // namespace

void conv_direct_forward_avx2(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g) {
  forward<Avx2>(x, w, bias, y, g);
}

void conv_direct_backward_weight_avx2(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  backward_weight<Avx2>(x, go, gw, g);
}

}  // namespace cpu
}  // namespace ember
