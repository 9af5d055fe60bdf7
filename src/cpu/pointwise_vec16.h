#pragma once
// The 16-lane float32 loops of the pointwise functors that have a vector body (has_vec16,
// src/functors.h), defined in pointwise_avx512.cpp for exactly those functors. pointwise.cpp
// calls them on contiguous float32 runs when vec16_available() and finishes the tail with the
// scalar functor.
#include <cstdint>

namespace ember {
namespace cpu {

/// Whether this CPU runs the AVX-512 bodies (the subsets sgemm_avx512 needs too).
bool vec16_available();

/// out[i] = f(in[i]) for the first n - n % 16 elements; returns how many it did.
template <typename F>
int64_t vec16_unary(const F& f, float* out, const float* in, int64_t n);
/// out[i] = f(a[i], b[i]) likewise.
template <typename F>
int64_t vec16_binary(const F& f, float* out, const float* a, const float* b, int64_t n);

}  // namespace cpu
}  // namespace ember
