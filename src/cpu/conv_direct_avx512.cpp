// The direct convolution (conv_direct_kernels.h) on 16-float AVX-512 vectors, whose lane masks
// are __mmask16 and whose FMAs take a broadcast weight straight from memory.
#include <algorithm>
#include <vector>

#include <omp.h>

#include "conv_direct.h"
#include "cpu_backend.h"

#include "avx512.h"  // intrinsics, EMBER_AVX512; ends with the pop below

namespace ember {
namespace cpu {
namespace {

EMBER_AVX512_BEGIN

struct Avx512 {
  static constexpr int64_t kLanes = 16;
  // Register blocking (conv_direct_kernels.h): 32 zmm registers, 16 accumulators.
  static constexpr int kFwdNco = 16, kFwdNv = 1, kFwdBlock = 16;
  static constexpr int kWgtNco = 8, kWgtNt = 1;
  static constexpr bool kPadded = false;  // masks are free on AVX-512
  static constexpr int64_t kWgtChunkBytes = int64_t(1) << 18;
  using Vec = __m512;
  using Mask = __mmask16;
  using MaskSlot = __mmask16;
  static inline Mask get(MaskSlot s) { return s; }
  static inline void put(MaskSlot& s, Mask m) { s = m; }
  static inline Mask mask(unsigned bits) { return __mmask16(bits); }
  static inline Mask first(int64_t k) { return k >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << k) - 1); }
  static inline Vec load(Mask m, const float* p) { return _mm512_maskz_loadu_ps(m, p); }
  static inline Vec loadu(const float* p) { return _mm512_loadu_ps(p); }
  static inline void store(Mask m, float* p, Vec v) { _mm512_mask_storeu_ps(p, m, v); }
  static inline void storeu(float* p, Vec v) { _mm512_storeu_ps(p, v); }
  static inline Vec set1(float x) { return _mm512_set1_ps(x); }
  static inline Vec zero() { return _mm512_setzero_ps(); }
  static inline Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static inline Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  static inline float sum(Vec v) { return _mm512_reduce_add_ps(v); }
};

#include "conv_direct_kernels.h"

EMBER_AVX512_END

}  // namespace

void conv_direct_forward_avx512(const float* x, const float* w, const float* bias, float* y, const ConvGeometry& g) {
  forward<Avx512>(x, w, bias, y, g);
}

void conv_direct_backward_weight_avx512(const float* x, const float* go, float* gw, const ConvGeometry& g) {
  backward_weight<Avx512>(x, go, gw, g);
}

}  // namespace cpu
}  // namespace ember

#pragma GCC diagnostic pop
