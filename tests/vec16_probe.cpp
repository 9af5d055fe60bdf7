// The AVX-512 side of tests/test_vecmath.cpp (entry points in vec16_probe.h). Built like
// src/cpu/pointwise_avx512.cpp: functors.h's dependencies are parsed first, then functors.h with
// AVX-512 on, and this file instantiates only templates over its own types (Vec16 with the math
// below) and the entry points, so no AVX-512 copy of a shared inline function reaches the rest of
// the test binary.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "../src/dtype_dispatch.h"
#include "ember/error.h"
#include "ember/types.h"
#include "vec16_probe.h"

#include "../src/cpu/avx512.h"  // intrinsics; ends with the pops below
EMBER_AVX512_BEGIN
#include "../src/cpu/vec16.h"
#include "../src/functors.h"

namespace vec16_probe {
namespace {

using ember::cpu::FastMath;
using ember::cpu::Vec16;

/// Applies a scalar function to each lane.
template <float (*S)(float)>
__m512 lanes(__m512 x) {
  alignas(64) float v[16];
  _mm512_store_ps(v, x);
  for (float& e : v) e = S(e);
  return _mm512_load_ps(v);
}

/// The scalar functors' transcendentals, lane by lane.
struct LibmLanes {
  static __m512 exp(__m512 x) { return lanes<scalar_exp>(x); }
  static __m512 expm1(__m512 x) { return lanes<scalar_expm1>(x); }
  static __m512 log1p(__m512 x) { return lanes<scalar_log1p>(x); }
  static __m512 tanh(__m512 x) { return lanes<scalar_tanh>(x); }
  static __m512 erf(__m512 x) { return lanes<scalar_erf>(x); }
};

template <typename M, typename F>
void unary_body(const F& f, const float* in, float* out, int64_t n) {
  for (int64_t i = 0; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, f(Vec16<M>(_mm512_loadu_ps(in + i))).v);
}

}  // namespace

void math(Math m, const float* in, float* out, int64_t n) {
  namespace vm = ember::cpu::vecmath;
  for (int64_t i = 0; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(in + i);
    __m512 y = x;
    switch (m) {
      case Math::Exp: y = vm::exp(x); break;
      case Math::Expm1: y = vm::expm1(x); break;
      case Math::Log1p: y = vm::log1p(x); break;
      case Math::Tanh: y = vm::tanh(x); break;
      case Math::Erf: y = vm::erf(x); break;
    }
    _mm512_storeu_ps(out + i, y);
  }
}

template <typename F>
void unary_lanewise(const F& f, const float* in, float* out, int64_t n) {
  unary_body<LibmLanes>(f, in, out, n);
}

template <typename F>
void binary_lanewise(const F& f, const float* a, const float* b, float* out, int64_t n) {
  using V = Vec16<LibmLanes>;
  for (int64_t i = 0; i + 16 <= n; i += 16)
    _mm512_storeu_ps(out + i, f(V(_mm512_loadu_ps(a + i)), V(_mm512_loadu_ps(b + i))).v);
}

template <typename F>
void unary_fast(const F& f, const float* in, float* out, int64_t n) {
  unary_body<FastMath>(f, in, out, n);
}

#define EMBER_PROBE_UNARY(F)                                                                      \
  template void unary_lanewise<ember::fn::F>(const ember::fn::F&, const float*, float*, int64_t); \
  template void unary_fast<ember::fn::F>(const ember::fn::F&, const float*, float*, int64_t);
#define EMBER_PROBE_BINARY(F) \
  template void binary_lanewise<ember::fn::F>(const ember::fn::F&, const float*, const float*, float*, int64_t);
EMBER_VEC16_UNARY(EMBER_PROBE_UNARY)
EMBER_VEC16_BINARY(EMBER_PROBE_BINARY)
#undef EMBER_PROBE_UNARY
#undef EMBER_PROBE_BINARY

}  // namespace vec16_probe

EMBER_AVX512_END
#pragma GCC diagnostic pop
