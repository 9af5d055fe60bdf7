#pragma once
// What every AVX2 kernel file (conv_direct_avx2.cpp) starts with: the intrinsics, and the
// markers that compile a region of functions for AVX2 + FMA so the library still loads on CPUs
// without them (callers ask simd_available(SimdIsa::avx2) first). The AVX-512 counterpart is
// avx512.h; both are for CPUs on which the other is missing (AMD EPYC of the Zen 2/3
// generations has AVX2 and FMA but no AVX-512).
#include <immintrin.h>

// EMBER_AVX2_BEGIN ... EMBER_AVX2_END: every function defined in between (templates included)
// is compiled for AVX2 + FMA. GCC takes a target pragma; clang ignores that and takes an
// attribute applied to each function instead. Include no standard header in between: its
// inline functions would be compiled for AVX2 too and could stand in for the baseline ones.
#if defined(__clang__)
#define EMBER_AVX2_BEGIN _Pragma("clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)")
#define EMBER_AVX2_END _Pragma("clang attribute pop")
#else
#define EMBER_AVX2_BEGIN _Pragma("GCC push_options") _Pragma("GCC target(\"avx2,fma\")")
#define EMBER_AVX2_END _Pragma("GCC pop_options")
#endif
