#pragma once
// The CPU backend's one serial GEMM call (gemm.cpp): c = alpha * op(a) @ op(b) + beta * c, all
// row-major with BLAS's argument conventions. float32 goes to ember's AVX-512 kernels where the
// CPU has them and they are faster (sgemm.h), else to OpenBLAS like float64. k == 0 is allowed
// (c = beta * c; beta == 0 writes zeros without reading c), since BLAS rejects a zero leading
// dimension. Single-threaded use: callers split their work over the OpenMP team (src/threads.cpp).
#include <cblas.h>

#include <cstdint>

namespace ember {
namespace cpu {

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc);
void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
               int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

}  // namespace cpu
}  // namespace ember
