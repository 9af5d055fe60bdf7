#pragma once
// ember's own float32 GEMM for CPUs with AVX-512 (row-major, BLAS argument conventions).
//
// Why not OpenBLAS: the OpenBLAS build we link must run with OPENBLAS_CORETYPE=Haswell on AVX-512
// machines (its SkylakeX kernels misbehave there), so it computes with 256-bit AVX2 kernels and
// leaves half of a full-width AVX-512 core idle. The kernels here are compiled for AVX-512 per
// function (target attributes), so the library still loads and runs on CPUs without it: callers
// ask sgemm_avx512_available() and fall back to cblas_sgemm when it says no.
//
// Single-threaded on purpose: gemm.cpp and conv.cpp already split their work across the OpenMP
// team and call one serial GEMM per thread.
#include <cstdint>

#include "ember/export.h"

namespace ember {
namespace cpu {

// Whether this CPU (and OS) supports the AVX-512 subsets the kernels use; computed once.
// Exported (like sgemm_avx512) only so that the tests and tools/bench_sgemm can reach it.
EMBER_API bool sgemm_avx512_available();

// C(m, n) = alpha * op(A)(m, k) @ op(B)(k, n) + beta * C, all row-major. op(A) = A when !trans_a
// (element (i, p) at a[i * lda + p]) and A^T when trans_a (element (i, p) at a[p * lda + i]);
// likewise for B. beta == 0 overwrites C without reading it (NaN in C does not leak through);
// k == 0 or alpha == 0 only scales C by beta. Precondition: sgemm_avx512_available().
EMBER_API void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                            int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// The packed-B layout sgemm_avx512_packed_b reads: op(B) (k x n) as ceil(n / kSgemmPanel)
// panels of kSgemmPanel columns, panel after panel, each k rows of kSgemmPanel floats (columns
// past n zero), 64-byte aligned. conv2d's im2col writes its columns in this layout directly
// (conv_panels.h), sparing the GEMM a packing pass over data that was just written.
constexpr int64_t kSgemmPanel = 32;

// C(m, n) = A(m, k) @ B + beta * C, A row-major with leading dimension lda, B pre-packed as
// above. Any k (the panels are not cut into k blocks). Precondition: sgemm_avx512_available().
EMBER_API void sgemm_avx512_packed_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda,
                                     const float* b_panels, float beta, float* c, int64_t ldc);

// Shortest k for which the dot kernel is used (A row-major, B transposed).
constexpr int64_t kSgemmDotMinK = 128;

// Whether sgemm_avx512 beats single-threaded OpenBLAS (Haswell kernels) on this product, as
// measured by tools/bench_sgemm on Zen 5: everywhere except C narrower than a 32-column panel
// (most of the panel would be padding), unless the dot kernel (A row-major, B transposed, long
// k) takes it.
inline bool sgemm_avx512_preferred(bool trans_a, bool trans_b, int64_t n, int64_t k) {
  if (!sgemm_avx512_available()) return false;
  return n >= 24 || (!trans_a && trans_b && k >= kSgemmDotMinK);
}

}  // namespace cpu
}  // namespace ember
