#pragma once
// tests/vec16_probe.cpp is the tests' one file compiled for AVX-512 (as src/cpu/pointwise_avx512.cpp
// is the library's): these are its entry points for tests/test_vecmath.cpp. Call them only when
// ember::cpu::sgemm_avx512_available().
#include <cstdint>

namespace vec16_probe {

enum class Math { Exp, Expm1, Log1p, Tanh, Erf };

/// out[i] = the vecmath function m (src/cpu/vecmath_avx512.h) of in[i]; n a multiple of 16.
void math(Math m, const float* in, float* out, int64_t n);

/// The float transcendentals the scalar functors use (fn::exp_of<float> ...), defined in
/// test_vecmath.cpp, a baseline file: the lane-by-lane reference below calls them.
float scalar_exp(float x);
float scalar_expm1(float x);
float scalar_log1p(float x);
float scalar_tanh(float x);
float scalar_erf(float x);

/// f's 16-lane body (the functor's operator() with T = Vec16) with the transcendentals taken lane
/// by lane from the scalar_* functions: it must give the scalar functor's results bit for bit.
/// n a multiple of 16. Instantiated for the functors in EMBER_VEC16_UNARY / EMBER_VEC16_BINARY.
template <typename F>
void unary_lanewise(const F& f, const float* in, float* out, int64_t n);
template <typename F>
void binary_lanewise(const F& f, const float* a, const float* b, float* out, int64_t n);

/// The same bodies with the kernels' vecmath transcendentals: what CpuBackend runs.
template <typename F>
void unary_fast(const F& f, const float* in, float* out, int64_t n);

}  // namespace vec16_probe
