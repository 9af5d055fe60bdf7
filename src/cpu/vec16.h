#pragma once
// Vec16: 16 float32 lanes that a pointwise functor (src/functors.h) takes as its T, so the one
// formula each functor spells also runs on AVX-512 registers (src/cpu/pointwise_avx512.cpp).
// It has what the formulas use: construction from a constant (T(0.5), T(beta)), + - * / and
// unary minus rounding as float does (one instruction each, never fused into an FMA since
// ember and its tests build with -ffp-contract=off: the vector body rounds like the scalar
// one), comparisons giving a lane mask, pick(mask, a, b) as fn::pick's blend, and
// exp_of / expm1_of / log1p_of / tanh_of / erf_of, found by argument-dependent lookup and
// computed by Math: vecmath (src/cpu/vecmath_avx512.h) in the kernels; tests/test_vecmath.cpp
// plugs in libm lane by lane to check that a vector body is the scalar formula bit for bit.
//
// Only translation units compiled for AVX-512 include this (see pointwise_avx512.cpp). The
// anonymous namespace makes every function instantiated with Vec16 local to its file, so no
// AVX-512 code can stand in for a baseline definition at link time.
#include "vecmath_avx512.h"

namespace ember {
namespace cpu {
namespace {

/// The transcendentals the kernels use.
struct FastMath {
  static EMBER_AVX512_INLINE __m512 exp(__m512 x) { return vecmath::exp(x); }
  static EMBER_AVX512_INLINE __m512 expm1(__m512 x) { return vecmath::expm1(x); }
  static EMBER_AVX512_INLINE __m512 log1p(__m512 x) { return vecmath::log1p(x); }
  static EMBER_AVX512_INLINE __m512 tanh(__m512 x) { return vecmath::tanh(x); }
  static EMBER_AVX512_INLINE __m512 erf(__m512 x) { return vecmath::erf(x); }
};

/// Which lanes a comparison held for.
struct Mask16 {
  __mmask16 k;
};

template <typename Math>
struct Vec16 {
  __m512 v;
  EMBER_AVX512_INLINE Vec16() : v(_mm512_setzero_ps()) {}
  EMBER_AVX512_INLINE explicit Vec16(__m512 x) : v(x) {}
  /// A constant in every lane, rounded to float as the scalar body's T(c) is.
  EMBER_AVX512_INLINE explicit Vec16(double c) : v(_mm512_set1_ps(float(c))) {}
  EMBER_AVX512_INLINE explicit Vec16(float c) : v(_mm512_set1_ps(c)) {}
  EMBER_AVX512_INLINE explicit Vec16(int c) : v(_mm512_set1_ps(float(c))) {}
};

// + - * /: one instruction each, rounding once as the scalar operators do.
#define EMBER_VEC16_ARITH(op, instruction)                           \
  template <typename M>                                              \
  EMBER_AVX512_INLINE Vec16<M> operator op(Vec16<M> a, Vec16<M> b) { \
    return Vec16<M>(instruction(a.v, b.v));                          \
  }
EMBER_VEC16_ARITH(+, _mm512_add_ps)
EMBER_VEC16_ARITH(-, _mm512_sub_ps)
EMBER_VEC16_ARITH(*, _mm512_mul_ps)
EMBER_VEC16_ARITH(/, _mm512_div_ps)
#undef EMBER_VEC16_ARITH

/// -x flips the sign bit, as scalar negation does (NaN and 0 included).
template <typename M>
EMBER_AVX512_INLINE Vec16<M> operator-(Vec16<M> a) {
  return Vec16<M>(_mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a.v), _mm512_set1_epi32(int(0x80000000u)))));
}

// Ordered, quiet comparisons: false where either side is NaN, as C++'s < on floats.
#define EMBER_VEC16_COMPARE(op, predicate)                         \
  template <typename M>                                            \
  EMBER_AVX512_INLINE Mask16 operator op(Vec16<M> a, Vec16<M> b) { \
    return Mask16{_mm512_cmp_ps_mask(a.v, b.v, predicate)};        \
  }
EMBER_VEC16_COMPARE(<, _CMP_LT_OQ)
EMBER_VEC16_COMPARE(>, _CMP_GT_OQ)
EMBER_VEC16_COMPARE(<=, _CMP_LE_OQ)
EMBER_VEC16_COMPARE(>=, _CMP_GE_OQ)
#undef EMBER_VEC16_COMPARE

/// The vector fn::pick: a where the mask holds, else b.
template <typename M>
EMBER_AVX512_INLINE Vec16<M> pick(Mask16 c, Vec16<M> a, Vec16<M> b) {
  return Vec16<M>(_mm512_mask_blend_ps(c.k, b.v, a.v));
}

// The transcendentals, as Math computes them.
#define EMBER_VEC16_MATH(fn)                         \
  template <typename M>                              \
  EMBER_AVX512_INLINE Vec16<M> fn##_of(Vec16<M> x) { \
    return Vec16<M>(M::fn(x.v));                     \
  }
EMBER_VEC16_MATH(exp)
EMBER_VEC16_MATH(expm1)
EMBER_VEC16_MATH(log1p)
EMBER_VEC16_MATH(tanh)
EMBER_VEC16_MATH(erf)
#undef EMBER_VEC16_MATH

}  // namespace
}  // namespace cpu
}  // namespace ember
