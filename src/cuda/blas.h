#pragma once
// Row-major GEMM on cuBLAS, for the gemm entry (blas.cpp) and the im2col convolution (conv.cpp),
// plus the launcher of the int64 GEMM kernel (kernels/gemm_int.cu: cuBLAS has no integer GEMM).
//
// The helpers take the CPU BLAS's row-major arguments: operand A is stored row-major as (m, k)
// with leading dimension lda, or as (k, m) when trans_a (and likewise B). cuBLAS is column-major,
// so they compute C^T = B^T A^T, which reads the same memory with the operands swapped.
#include <cstdint>

namespace ember {
namespace cuda_detail {

/// c (m, n), ldc = alpha * op(a) (m, k) @ op(b) (k, n) + beta * c. beta == 0 never reads c.
/// k == 0 is allowed (c = beta * c). float uses TF32 tensor cores only when
/// cuda::matmul_allow_tf32().
template <typename T>
void gemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                    const T* b, int64_t ldb, T beta, T* c, int64_t ldc);

/// `batch` independent products as above: operand i starts stride_x elements after operand
/// i - 1 (stride 0 shares one operand across the batch). k must be positive.
template <typename T>
void gemm_row_major_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                            int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c,
                            int64_t ldc, int64_t stride_c, int64_t batch);

/// int64 GEMM kernel: c (m, n) contiguous = alpha * a @ b + beta * c, with a (m, k) and b (k, n)
/// at any strides. Arithmetic wraps modulo 2^64 (no undefined overflow). Queued on the context
/// stream; m, n > 0.
void gemm_int64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t* a, int64_t a_s0, int64_t a_s1,
                const int64_t* b, int64_t b_s0, int64_t b_s1, int64_t beta, int64_t* c);

}  // namespace cuda_detail
}  // namespace ember
