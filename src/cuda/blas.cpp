// CUDA GEMM: c = alpha * a @ b + beta * c on cuBLAS for float32/float64, and on ember's own
// kernel (kernels/gemm_int.cu) for int64, which cuBLAS lacks. As on the CPU (src/cpu/gemm.cpp),
// a and b arrive as 2-D views with unit stride in one dim: a transposed operand becomes a
// transpose flag, never a copy.
//
// Row-major to column-major: cuBLAS reads a row-major (m, n) matrix with leading dimension ld as
// the column-major (n, m) matrix, its transpose. So C = A B is computed as C^T = B^T A^T with the
// operands swapped and m, n exchanged; no data moves.
//
// TF32: float products use TF32 tensor cores only when cuda::matmul_allow_tf32() (PyTorch's default
// for matmul is false, and ember's tests compare with float32 CPU results at rtol 1e-4).
#include "blas.h"

#include <algorithm>
#include <climits>
#include <type_traits>

#include "../dtype_dispatch.h"
#include "../gemm_layout.h"
#include "cuda_backend.h"
#include "ember/cuda.h"

namespace ember {
namespace cuda_detail {
namespace {

int as_int(int64_t v, const char* what) {
  EMBER_CHECK(v >= 0 && v <= INT_MAX, "cuda gemm: ", what, " = ", v,
              " is past the 2^31-1 limit of the cuBLAS interface");
  return int(v);
}

cublasOperation_t op(bool trans) { return trans ? CUBLAS_OP_T : CUBLAS_OP_N; }

/// The handle, with the context workspace bound (ctx.blas(): cuBLAS then allocates nothing of
/// its own, which a CUDA graph capture needs) and the math mode allow_tf32 asks for: the mode
/// is a property of the handle, and allow_tf32 may change between calls, so it is checked each
/// time (a host-side field, no sync).
cublasHandle_t handle_for(CudaContext& ctx) {
  cublasHandle_t h = ctx.blas();
  cublasMath_t mode;
  EMBER_CUBLAS_CHECK(cublasGetMathMode(h, &mode));
  const cublasMath_t want = cuda::matmul_allow_tf32() ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH;
  if (mode != want) EMBER_CUBLAS_CHECK(cublasSetMathMode(h, want));
  return h;
}

// c (m, n) = beta * c, for the empty sum k == 0 (cuBLAS's quick return would be documented
// behaviour, but saying it here is clearer and costs nothing).
template <typename T>
void scale_rows(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  CudaContext& ctx = context();
  if (beta == T(0)) {
    EMBER_CUDA_CHECK(cudaMemset2DAsync(c, size_t(ldc) * sizeof(T), 0, size_t(n) * sizeof(T), size_t(m), ctx.stream));
    return;
  }
  if (beta == T(1)) return;
  const T zero = T(0);
  const int rows = as_int(n, "n"), cols = as_int(m, "m"), ld = as_int(ldc, "ldc");
  // geam in place (C = beta * C + 0 * C): allowed when C aliases A with the same ld and no transpose.
  cublasHandle_t h = handle_for(ctx);
  if constexpr (std::is_same_v<T, float>)
    EMBER_CUBLAS_CHECK(cublasSgeam(h, CUBLAS_OP_N, CUBLAS_OP_N, rows, cols, &beta, c, ld, &zero, c, ld, c, ld));
  else EMBER_CUBLAS_CHECK(cublasDgeam(h, CUBLAS_OP_N, CUBLAS_OP_N, rows, cols, &beta, c, ld, &zero, c, ld, c, ld));
}

}  // namespace

template <typename T>
void gemm_row_major(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                    const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  if (k == 0) return scale_rows(m, n, beta, c, ldc);
  CudaContext& ctx = context();
  cublasHandle_t h = handle_for(ctx);
  const int im = as_int(m, "m"), in = as_int(n, "n"), ik = as_int(k, "k");
  const int ia = as_int(lda, "lda"), ib = as_int(ldb, "ldb"), ic = as_int(ldc, "ldc");
  if constexpr (std::is_same_v<T, float>) {
    if (cuda::matmul_allow_tf32()) {
      EMBER_CUBLAS_CHECK(cublasGemmEx(h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, CUDA_R_32F, ib, a, CUDA_R_32F,
                                      ia, &beta, c, CUDA_R_32F, ic, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
    } else {
      EMBER_CUBLAS_CHECK(cublasSgemm(h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, ib, a, ia, &beta, c, ic));
    }
  } else {
    EMBER_CUBLAS_CHECK(cublasDgemm(h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, ib, a, ia, &beta, c, ic));
  }
}

template <typename T>
void gemm_row_major_batched(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                            int64_t lda, int64_t stride_a, const T* b, int64_t ldb, int64_t stride_b, T beta, T* c,
                            int64_t ldc, int64_t stride_c, int64_t batch) {
  if (m == 0 || n == 0 || batch == 0) return;
  EMBER_CHECK(k > 0, "cuda gemm (batched): k must be positive, got ", k);
  CudaContext& ctx = context();
  cublasHandle_t h = handle_for(ctx);
  const int im = as_int(m, "m"), in = as_int(n, "n"), ik = as_int(k, "k"), ibatch = as_int(batch, "batch");
  const int ia = as_int(lda, "lda"), ib = as_int(ldb, "ldb"), ic = as_int(ldc, "ldc");
  if constexpr (std::is_same_v<T, float>) {
    if (cuda::matmul_allow_tf32()) {
      EMBER_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
          h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, CUDA_R_32F, ib, stride_b, a, CUDA_R_32F, ia, stride_a,
          &beta, c, CUDA_R_32F, ic, stride_c, ibatch, CUBLAS_COMPUTE_32F_FAST_TF32, CUBLAS_GEMM_DEFAULT));
    } else {
      EMBER_CUBLAS_CHECK(cublasSgemmStridedBatched(h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, ib, stride_b, a,
                                                   ia, stride_a, &beta, c, ic, stride_c, ibatch));
    }
  } else {
    EMBER_CUBLAS_CHECK(cublasDgemmStridedBatched(h, op(trans_b), op(trans_a), in, im, ik, &alpha, b, ib, stride_b, a,
                                                 ia, stride_a, &beta, c, ic, stride_c, ibatch));
  }
}

template void gemm_row_major<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t, const float*,
                                    int64_t, float, float*, int64_t);
template void gemm_row_major<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                     const double*, int64_t, double, double*, int64_t);
template void gemm_row_major_batched<float>(bool, bool, int64_t, int64_t, int64_t, float, const float*, int64_t,
                                            int64_t, const float*, int64_t, int64_t, float, float*, int64_t, int64_t,
                                            int64_t);
template void gemm_row_major_batched<double>(bool, bool, int64_t, int64_t, int64_t, double, const double*, int64_t,
                                             int64_t, const double*, int64_t, int64_t, double, double*, int64_t,
                                             int64_t, int64_t);

}  // namespace cuda_detail

void CudaBackend::gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) {
  if (c.numel() == 0) return;
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  EMBER_CHECK(c.is_contiguous(), "mm (cuda): the output ", describe(c), " must be contiguous");
  dispatch_numeric(c.dtype(), "mm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, int64_t>) {
      cuda_detail::gemm_int64(m, n, k, int64_t(alpha), a.data_ptr<int64_t>(), a.stride(0), a.stride(1),
                              b.data_ptr<int64_t>(), b.stride(0), b.stride(1), int64_t(beta), c.data_ptr<int64_t>());
    } else {
      // Layouts cuBLAS cannot read (zero strides of an expanded view, say) are packed first.
      Tensor a_use = a, b_use = b;
      GemmOperand la = gemm_layout(a), lb = gemm_layout(b);
      if (!la.usable) {
        a_use = a.contiguous();
        la = packed_gemm_layout(k);
      }
      if (!lb.usable) {
        b_use = b.contiguous();
        lb = packed_gemm_layout(n);
      }
      cuda_detail::gemm_row_major<T>(la.trans, lb.trans, m, n, k, T(alpha), a_use.data_ptr<T>(), la.ld,
                                     b_use.data_ptr<T>(), lb.ld, T(beta), c.data_ptr<T>(), n);
    }
  });
}

}  // namespace ember
