// The AVX-512 bodies of the pointwise functors named in EMBER_VEC16_UNARY / EMBER_VEC16_BINARY
// (src/functors.h): each functor's own operator() instantiated with T = Vec16 (vec16.h), 16
// float32 lanes per step, for CpuBackend's contiguous float32 loops (pointwise.cpp).
//
// Why a target pragma here where sgemm_avx512.cpp puts attributes on its functions: the formulas
// are functors.h's templates, and AVX-512 intrinsics inline only into a function compiled for
// AVX-512, so functors.h itself must be parsed with AVX-512 on. Its includes are parsed first,
// without, so only functors.h's own definitions are AVX-512 in this file; of those it
// instantiates only ones over Vec16, which are local to this file (vec16.h's anonymous
// namespace), and the entry points below, which no other file defines. So no AVX-512 copy of
// an inline function can replace a baseline one at link time and run on a CPU without AVX-512.
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "../dtype_dispatch.h"
#include "ember/error.h"
#include "ember/types.h"
#include "pointwise_vec16.h"
#include "sgemm.h"

#include "avx512.h"  // intrinsics; ends with the pops below
EMBER_AVX512_BEGIN
#include "../functors.h"
#include "vec16.h"

namespace ember {
namespace cpu {

bool vec16_available() { return sgemm_avx512_available(); }

template <typename F>
int64_t vec16_unary(const F& f, float* out, const float* in, int64_t n) {
  using V = Vec16<FastMath>;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, f(V(_mm512_loadu_ps(in + i))).v);
  return i;
}

template <typename F>
int64_t vec16_binary(const F& f, float* out, const float* a, const float* b, int64_t n) {
  using V = Vec16<FastMath>;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(out + i, f(V(_mm512_loadu_ps(a + i)), V(_mm512_loadu_ps(b + i))).v);
  return i;
}

#define EMBER_UNARY_LOOP(F) template int64_t vec16_unary<fn::F>(const fn::F&, float*, const float*, int64_t);
#define EMBER_BINARY_LOOP(F) \
  template int64_t vec16_binary<fn::F>(const fn::F&, float*, const float*, const float*, int64_t);
EMBER_VEC16_UNARY(EMBER_UNARY_LOOP)
EMBER_VEC16_BINARY(EMBER_BINARY_LOOP)
#undef EMBER_UNARY_LOOP
#undef EMBER_BINARY_LOOP

}  // namespace cpu
}  // namespace ember

EMBER_AVX512_END
#pragma GCC diagnostic pop
