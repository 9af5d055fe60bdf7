// CPU GEMM: c = alpha * a @ b + beta * c. float32 goes to our AVX-512 kernels where the CPU has
// them and they are faster (sgemm.h), else to OpenBLAS like float64; int64 (no BLAS
// routine exists) gets a plain loop. a and b arrive as strided 2-D views with unit stride in one
// dim, so a transposed operand is passed to BLAS as a transpose flag instead of being copied
// (gemm_layout, src/gemm_layout.h, shared with CUDA).
#include <cblas.h>

#include <algorithm>
#include <climits>
#include <type_traits>
#include <vector>

#include <omp.h>

#include "../dtype_dispatch.h"
#include "../gemm_layout.h"
#include "blas.h"
#include "cpu_backend.h"
#include "sgemm.h"

namespace ember {
namespace {

CBLAS_TRANSPOSE blas_trans(const GemmOperand& op) { return op.trans ? CblasTrans : CblasNoTrans; }

// A contiguous copy of a strided 2-D operand (only for layouts BLAS cannot read, such as the
// zero strides of an expanded tensor).
template <typename T>
std::vector<T> pack(const Tensor& t) {
  const int64_t rows = t.size(0), cols = t.size(1), s0 = t.stride(0), s1 = t.stride(1);
  const T* src = t.data_ptr<T>();
  std::vector<T> out(size_t(rows * cols));
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j) out[size_t(i * cols + j)] = src[i * s0 + j * s1];
  return out;
}

template <typename T>
void float_gemm(const Tensor& a, const Tensor& b, const Tensor& c, T alpha, T beta) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  T* cp = c.data_ptr<T>();
  if (k == 0)
    return cpu::blas_gemm(CblasNoTrans, CblasNoTrans, m, n, 0, alpha, a.data_ptr<T>(), 1, b.data_ptr<T>(), 1, beta, cp,
                          n);
  EMBER_CHECK(m <= INT_MAX && n <= INT_MAX && k <= INT_MAX, "mm: ", describe(a), " @ ", describe(b),
              " has a dimension past the 2^31-1 limit of the BLAS interface");
  GemmOperand la = gemm_layout(a), lb = gemm_layout(b);
  std::vector<T> packed_a, packed_b;
  const T* ap = a.data_ptr<T>();
  const T* bp = b.data_ptr<T>();
  if (!la.usable) {
    packed_a = pack<T>(a);
    ap = packed_a.data();
    la = packed_gemm_layout(k);
  }
  if (!lb.usable) {
    packed_b = pack<T>(b);
    bp = packed_b.data();
    lb = packed_gemm_layout(n);
  }
  int threads = omp_in_parallel() ? 1 : get_num_threads();
  if (double(m) * double(n) * double(k) < 1e6) threads = 1;  // waking the team costs more
  // Split the longer of C's dims into one block per thread (multiples of 16 keep the blocks
  // aligned with the BLAS kernels' tiles); each block is an independent serial GEMM.
  const bool split_cols = n >= m;
  const int64_t extent = split_cols ? n : m;
  const int64_t block = std::max<int64_t>(16, (extent / threads + 15) / 16 * 16);
  const int64_t blocks = (extent + block - 1) / block;
#pragma omp parallel for num_threads(threads) schedule(static) if (threads > 1 && blocks > 1)
  for (int64_t i = 0; i < blocks; ++i) {
    const int64_t lo = i * block, len = std::min(block, extent - lo);
    if (split_cols) {  // columns [lo, lo + len) of b and c
      const T* bq = bp + (lb.trans ? lo * lb.ld : lo);
      cpu::blas_gemm(blas_trans(la), blas_trans(lb), m, len, k, alpha, ap, la.ld, bq, lb.ld, beta, cp + lo, n);
    } else {  // rows [lo, lo + len) of a and c
      const T* aq = ap + (la.trans ? lo : lo * la.ld);
      cpu::blas_gemm(blas_trans(la), blas_trans(lb), len, n, k, alpha, aq, la.ld, bp, lb.ld, beta, cp + lo * n, n);
    }
  }
}

// int64 has no BLAS routine: an i-k-j loop keeps the innermost access to c and b sequential
// when b is row-major, which is the common case.
void int_gemm(const Tensor& a, const Tensor& b, const Tensor& c, int64_t alpha, int64_t beta) {
  const int64_t m = a.size(0), k = a.size(1), n = b.size(1);
  const int64_t as0 = a.stride(0), as1 = a.stride(1), bs0 = b.stride(0), bs1 = b.stride(1);
  const int64_t* ap = a.data_ptr<int64_t>();
  const int64_t* bp = b.data_ptr<int64_t>();
  int64_t* cp = c.data_ptr<int64_t>();
#pragma omp parallel for num_threads(get_num_threads()) if (m * n * k > (1 << 16))
  for (int64_t i = 0; i < m; ++i) {
    int64_t* crow = cp + i * n;
    for (int64_t j = 0; j < n; ++j) crow[j] = beta == 0 ? 0 : beta * crow[j];
    for (int64_t p = 0; p < k; ++p) {
      const int64_t av = alpha * ap[i * as0 + p * as1];
      const int64_t* brow = bp + p * bs0;
      for (int64_t j = 0; j < n; ++j) crow[j] += av * brow[j * bs1];
    }
  }
}

}  // namespace

namespace cpu {
namespace {

// c = beta * c on an (m, n) block; beta == 0 overwrites c without reading it (BLAS semantics:
// NaN in c does not leak through).
template <typename T>
void scale_rows(int64_t m, int64_t n, T beta, T* c, int64_t ldc) {
  if (beta == T(1)) return;
  for (int64_t i = 0; i < m; ++i) {
    T* row = c + i * ldc;
    if (beta == T(0)) std::fill(row, row + n, T(0));
    else
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

}  // namespace

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
               int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (k == 0) return scale_rows(m, n, beta, c, ldc);
  if (sgemm_avx512_preferred(ta == CblasTrans, tb == CblasTrans, n, k))
    return sgemm_avx512(ta == CblasTrans, tb == CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  cblas_sgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta,
              c, blasint(ldc));
}

void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
               int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (k == 0) return scale_rows(m, n, beta, c, ldc);
  cblas_dgemm(CblasRowMajor, ta, tb, blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta,
              c, blasint(ldc));
}

}  // namespace cpu

void CpuBackend::gemm(const Tensor& a, const Tensor& b, const Tensor& c, double alpha, double beta) {
  if (c.numel() == 0) return;
  dispatch_numeric(c.dtype(), "mm", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if constexpr (std::is_same_v<T, int64_t>) int_gemm(a, b, c, int64_t(alpha), int64_t(beta));
    else float_gemm<T>(a, b, c, T(alpha), T(beta));
  });
}

}  // namespace ember
