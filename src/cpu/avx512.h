#pragma once
// What every AVX-512 kernel file (sgemm_avx512.cpp, conv_panels.cpp, conv_direct_avx512.cpp) starts
// with: the intrinsics, and EMBER_AVX512 to compile one function for AVX-512 so the library
// still loads on CPUs without it (callers ask sgemm_avx512_available() first).
//
// GCC 12's AVX-512 headers initialise their "undefined" vectors from themselves, which
// -Wuninitialized reports at every inlined shuffle (GCC bug 105593, fixed in later releases).
// The reports come where the intrinsics are inlined, i.e. in the including file's body, so the
// warnings stay off to the end of that file: each includer ends with `#pragma GCC diagnostic pop`.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#define EMBER_AVX512 __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,fma")))

// EMBER_AVX512_BEGIN ... EMBER_AVX512_END: every function defined in between is compiled for
// AVX-512 (for code whose functions cannot carry EMBER_AVX512 themselves, such as functors.h's
// templates). GCC takes a target pragma; clang ignores that and takes an attribute applied to
// each function instead.
#if defined(__clang__)
#define EMBER_AVX512_BEGIN \
  _Pragma(                 \
      "clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512dq,avx512vl,fma\"))), \
apply_to = function)")
#define EMBER_AVX512_END _Pragma("clang attribute pop")
#else
#define EMBER_AVX512_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx512f,avx512bw,avx512dq,avx512vl,fma\")")
#define EMBER_AVX512_END _Pragma("GCC pop_options")
#endif
#define EMBER_AVX512_INLINE EMBER_AVX512 inline __attribute__((always_inline))
