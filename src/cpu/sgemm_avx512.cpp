// AVX-512 float32 GEMM (see sgemm.h for why it exists). Two algorithms:
//
// * Packed (BLIS-style), for every layout except the one below: op(B) is copied in blocks of
//   kc rows into panels of kNr = 32 columns (two zmm per row, zero-padded past n), op(A) into
//   panels of mr <= kMaxMr rows stored column by column, and a register-blocked micro-kernel
//   accumulates an mr x 32 tile of C in 2*mr zmm registers over kc, broadcasting one A value per
//   row and step. Ragged right edges use AVX-512 masked loads/stores of C.
//
// * Dot (A row-major, B transposed, long k): both operands already have k contiguous, which is
//   conv2d's weight gradient g(Cout, L) @ cols(CKK, L)^T with L in the thousands. Packing would
//   have to transpose one of them and would cost about as much as the product itself for those
//   small Cout, so the kernel instead keeps a 4 x 6 block of C as 24 vectors of partial sums over
//   k, reads both operands straight from memory and reduces each vector to one number at the end.
//
// Every function that touches a zmm register carries the target attribute, so the rest of the
// library is compiled for the baseline ISA and this file is only entered after the run-time check.
#include "sgemm.h"

#include "ember/error.h"

#include "avx512.h"  // intrinsics, EMBER_AVX512; ends with the pop below

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <utility>

namespace ember {
namespace cpu {
namespace {

constexpr int kNr = 32;                           // columns per packed B panel: two zmm
constexpr int kMaxMr = 12;                        // rows per A panel: 2*12 accumulators + 2 B + 1 broadcast <= 32 zmm
constexpr int64_t kKc = 320;                      // k per packed block: a kc x 32 B panel (40 KB) stays in L1
constexpr int64_t kMc = 144;                      // rows of A per packed block (~180 KB, in L2)
constexpr int64_t kNc = 2048;                     // columns of B per packed block (~2.5 MB, in L3)
constexpr int kDotRows = 4, kDotCols = 6;         // the dot kernel's block of C
constexpr int64_t kDotKc = 1024;                  // k per pass of the dot kernel
constexpr size_t kDotBBytes = size_t(512) << 10;  // B rows that all of A's row blocks pass (L2)
constexpr int64_t kShortK = 80;                   // up to this kc the packed tiles are store-bound (see below)

// A growable 64-byte aligned buffer, one per thread and purpose, reused across calls so a
// training loop allocates only on its first steps.
class PackBuffer {
 public:
  float* get(size_t count) {
    if (count > capacity_) {
      const size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
      void* p = std::aligned_alloc(64, bytes);
      EMBER_CHECK(p != nullptr, "mm: could not allocate ", bytes,
                  " bytes of CPU scratch memory for the packed GEMM operands");
      mem_.reset(static_cast<float*>(p));
      capacity_ = bytes / sizeof(float);
    }
    return mem_.get();
  }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> mem_;
  size_t capacity_ = 0;
};

thread_local PackBuffer a_pack, b_pack;

// Lanes [0, count) of a 16-lane mask (count clamped to [0, 16]).
inline __mmask16 lanes(int64_t count) {
  return count >= 16 ? __mmask16(0xFFFF) : count <= 0 ? __mmask16(0) : __mmask16((1u << count) - 1);
}

// C = beta * C on an (m, n) block (beta == 0 writes zeros without reading).
void scale_c(int64_t m, int64_t n, float beta, float* c, int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* row = c + i * ldc;
    if (beta == 0.f) std::fill(row, row + n, 0.f);
    else if (beta != 1.f)
      for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

// ---- packed algorithm -------------------------------------------------------------------------

// op(B) rows [p0, p0 + kc), columns [j0, j0 + cols) (cols <= 32) -> dst (kc x 32, zero padded).
EMBER_AVX512 void pack_b_panel(bool trans_b, const float* b, int64_t ldb, int64_t p0, int64_t kc, int64_t j0,
                               int64_t cols, float* dst) {
  if (!trans_b) {
    const __mmask16 m0 = lanes(cols), m1 = lanes(cols - 16);
    const float* src = b + p0 * ldb + j0;
    for (int64_t p = 0; p < kc; ++p, src += ldb, dst += kNr) {
      _mm512_store_ps(dst, _mm512_maskz_loadu_ps(m0, src));
      _mm512_store_ps(dst + 16, _mm512_maskz_loadu_ps(m1, src + 16));
    }
    return;
  }
  // op(B)(p, j) = b[j * ldb + p]: each source row is one packed column. Only the packed path's
  // small-k products get here (long-k transposed B goes to the dot kernel).
  if (cols < kNr)
    for (int64_t p = 0; p < kc; ++p) std::fill(dst + p * kNr + cols, dst + (p + 1) * kNr, 0.f);
  for (int64_t j = 0; j < cols; ++j) {
    const float* src = b + (j0 + j) * ldb + p0;
    for (int64_t p = 0; p < kc; ++p) dst[p * kNr + j] = src[p];
  }
}

// op(A) rows [i0, i0 + rows), columns [p0, p0 + kc) -> dst, column by column (kc x rows).
void pack_a_panel(bool trans_a, const float* a, int64_t lda, int64_t i0, int rows, int64_t p0, int64_t kc, float* dst) {
  if (trans_a) {  // op(A)(i, p) = a[p * lda + i]: rows are contiguous already
    for (int64_t p = 0; p < kc; ++p) {
      const float* src = a + (p0 + p) * lda + i0;
      for (int i = 0; i < rows; ++i) dst[p * rows + i] = src[i];
    }
  } else {
    for (int i = 0; i < rows; ++i) {
      const float* src = a + (i0 + i) * lda + p0;
      for (int64_t p = 0; p < kc; ++p) dst[p * rows + i] = src[p];
    }
  }
}

// C(R x 32 tile, masked to the live columns) = alpha * Apanel @ Bpanel + beta * C.
template <int R>
EMBER_AVX512 void micro_kernel(int64_t kc, const float* ap, const float* bp, float* c, int64_t ldc, float alpha,
                               float beta, __mmask16 m0, __mmask16 m1) {
  __m512 lo[R], hi[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) lo[r] = hi[r] = _mm512_setzero_ps();
    // The tile's C is read (beta != 0) or written at the end: start fetching its lines now, so the
    // memory latency overlaps the k loop. With a short k (weight gradients: k = the batch) an
    // unfetched C stalls every tile; prefetching made a 3072 x 64 x 4000 product with beta = 1
    // about twice as fast (7 ms to 3.6 ms, 2 threads of this project's AMD EPYC).
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
  }
#pragma GCC unroll 2
  for (int64_t p = 0; p < kc; ++p, ap += R, bp += kNr) {
    const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 av = _mm512_set1_ps(ap[r]);
      lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
      hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* row = c + r * ldc;
    __m512 x0 = _mm512_mul_ps(va, lo[r]), x1 = _mm512_mul_ps(va, hi[r]);
    if (beta != 0.f) {  // beta == 0 must not read C (it may hold NaN)
      x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, row), x0);
      x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, row + 16), x1);
    }
    _mm512_mask_storeu_ps(row, m0, x0);
    _mm512_mask_storeu_ps(row + 16, m1, x1);
  }
}

using MicroKernel = void (*)(int64_t, const float*, const float*, float*, int64_t, float, float, __mmask16, __mmask16);

template <int... R>
constexpr auto micro_table(std::integer_sequence<int, R...>) {
  return std::array<MicroKernel, sizeof...(R)>{&micro_kernel<R + 1>...};
}
const auto kMicro = micro_table(std::make_integer_sequence<int, kMaxMr>{});  // [R - 1]

// Rows per A panel for m rows: panels of equal height, at most kMaxMr.
int panel_rows(int64_t m) {
  const int64_t mpanels = (m + kMaxMr - 1) / kMaxMr;
  return int((m + mpanels - 1) / mpanels);
}

EMBER_AVX512 void packed_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  // Equal-sized blocks: k = 330 as 2 x 165 rather than 320 + 10, m = 16 as 2 x 8 not 12 + 4.
  const int64_t kblocks = (k + kKc - 1) / kKc, kc_max = (k + kblocks - 1) / kblocks;
  const int mr = panel_rows(m);
  const int64_t mc_max = std::max<int64_t>(1, kMc / mr) * mr;
  const int64_t nc_max = std::min<int64_t>(kNc, (n + kNr - 1) / kNr * kNr);
  float* bbuf = b_pack.get(size_t(kc_max * nc_max));
  float* abuf = a_pack.get(size_t(kc_max * std::min(mc_max, m)));
  for (int64_t jc = 0; jc < n; jc += nc_max) {
    const int64_t nc = std::min(nc_max, n - jc);
    for (int64_t pc = 0; pc < k; pc += kc_max) {
      const int64_t kc = std::min(kc_max, k - pc);
      const float beta_now = pc == 0 ? beta : 1.f;  // later k blocks add to the first's result
      for (int64_t jr = 0; jr < nc; jr += kNr)
        pack_b_panel(trans_b, b, ldb, pc, kc, jc + jr, std::min<int64_t>(kNr, nc - jr), bbuf + jr * kc);
      for (int64_t ic = 0; ic < m; ic += mc_max) {
        const int64_t mc = std::min(mc_max, m - ic);
        for (int64_t ir = 0; ir < mc; ir += mr)
          pack_a_panel(trans_a, a, lda, ic + ir, int(std::min<int64_t>(mr, mc - ir)), pc, kc, abuf + ir * kc);
        auto tile = [&](int64_t ir, int64_t jr) {
          const int64_t cols = std::min<int64_t>(kNr, nc - jr);
          const int rows = int(std::min<int64_t>(mr, mc - ir));
          kMicro[size_t(rows - 1)](kc, abuf + ir * kc, bbuf + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, alpha,
                                   beta_now, lanes(cols), lanes(cols - 16));
        };
        // Long k: a B panel (kc x 32) stays in L1 while the A panels pass. Short k: the tiles
        // are store-bound, so walk C row panel by row panel, a few contiguous streams.
        if (kc > kShortK) {
          for (int64_t jr = 0; jr < nc; jr += kNr)
            for (int64_t ir = 0; ir < mc; ir += mr) tile(ir, jr);
        } else {
          for (int64_t ir = 0; ir < mc; ir += mr)
            for (int64_t jr = 0; jr < nc; jr += kNr) tile(ir, jr);
        }
      }
    }
  }
}

// The packed algorithm on B panels the caller already wrote (sgemm.h's layout, k rows each).
EMBER_AVX512 void prepacked_gemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b_panels,
                                 float beta, float* c, int64_t ldc) {
  const int mr = panel_rows(m);
  float* abuf = a_pack.get(size_t(k * m));
  for (int64_t ir = 0; ir < m; ir += mr)
    pack_a_panel(false, a, lda, ir, int(std::min<int64_t>(mr, m - ir)), 0, k, abuf + ir * k);
  for (int64_t jr = 0; jr < n; jr += kNr) {
    const int64_t cols = std::min<int64_t>(kNr, n - jr);
    const float* bp = b_panels + (jr / kNr) * k * kNr;
    for (int64_t ir = 0; ir < m; ir += mr) {
      const int rows = int(std::min<int64_t>(mr, m - ir));
      kMicro[size_t(rows - 1)](k, abuf + ir * k, bp, c + ir * ldc + jr, ldc, 1.f, beta, lanes(cols), lanes(cols - 16));
    }
  }
}

// ---- dot algorithm (A row-major, B transposed) -----------------------------------------------

// Sum of the 16 lanes.
EMBER_AVX512_INLINE float hsum(__m512 v) {
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_shuffle_f32x4(v, v, _MM_SHUFFLE(2, 3, 0, 1)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(1, 0, 3, 2)));
  v = _mm512_add_ps(v, _mm512_permute_ps(v, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm512_cvtss_f32(v);
}

// One 16-wide step of k (masked for the tail) of the dot kernel's R x S block.
template <int R, int S>
EMBER_AVX512_INLINE void dot_step(__m512 (&acc)[R][S], const float* a, int64_t lda, const float* b, int64_t ldb,
                                  __mmask16 mask) {
  __m512 av[R];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) av[r] = _mm512_maskz_loadu_ps(mask, a + r * lda);
#pragma GCC unroll 8
  for (int s = 0; s < S; ++s) {
    const __m512 bv = _mm512_maskz_loadu_ps(mask, b + s * ldb);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][s] = _mm512_fmadd_ps(av[r], bv, acc[r][s]);
  }
}

// C(R x S block) = alpha * A(R rows, k contiguous) . B(S rows, k contiguous) + beta * C.
template <int R, int S>
EMBER_AVX512 void dot_kernel(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                             int64_t ldc, float alpha, float beta) {
  __m512 acc[R][S];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) acc[r][s] = _mm512_setzero_ps();
  int64_t p = 0;
  for (; p + 16 <= kc; p += 16) dot_step<R, S>(acc, a + p, lda, b + p, ldb, 0xFFFF);
  if (p < kc) dot_step<R, S>(acc, a + p, lda, b + p, ldb, lanes(kc - p));
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 8
    for (int s = 0; s < S; ++s) {
      float& out = c[r * ldc + s];
      const float sum = alpha * hsum(acc[r][s]);
      out = beta == 0.f ? sum : sum + beta * out;
    }
}

using DotKernel = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, float, float);

template <int R, int... S>
constexpr auto dot_row(std::integer_sequence<int, S...>) {
  return std::array<DotKernel, sizeof...(S)>{&dot_kernel<R, S + 1>...};
}
template <int... R>
constexpr auto dot_table(std::integer_sequence<int, R...>) {
  return std::array<std::array<DotKernel, kDotCols>, sizeof...(R)>{
      dot_row<R + 1>(std::make_integer_sequence<int, kDotCols>{})...};
}
const auto kDot = dot_table(std::make_integer_sequence<int, kDotRows>{});  // [R - 1][S - 1]

void dot_gemm(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda, const float* b, int64_t ldb,
              float beta, float* c, int64_t ldc) {
  const int64_t kblocks = (k + kDotKc - 1) / kDotKc;
  const int64_t kc_max = ((k + kblocks - 1) / kblocks + 15) / 16 * 16;
  // Rows of B per block: kDotBBytes of them stay in L2 while every row block of A passes by.
  const int64_t nb_max =
      std::max<int64_t>(1, int64_t(kDotBBytes / (size_t(kc_max) * sizeof(float))) / kDotCols) * kDotCols;
  for (int64_t pc = 0; pc < k; pc += kc_max) {
    const int64_t kc = std::min(kc_max, k - pc);
    const float beta_now = pc == 0 ? beta : 1.f;
    for (int64_t jb = 0; jb < n; jb += nb_max) {
      const int64_t nb = std::min(nb_max, n - jb);
      for (int64_t i = 0; i < m; i += kDotRows) {
        const int64_t rows = std::min<int64_t>(kDotRows, m - i);
        for (int64_t j = jb; j < jb + nb; j += kDotCols) {
          const int64_t cols = std::min<int64_t>(kDotCols, jb + nb - j);
          kDot[size_t(rows - 1)][size_t(cols - 1)](kc, a + i * lda + pc, lda, b + j * ldb + pc, ldb, c + i * ldc + j,
                                                   ldc, alpha, beta_now);
        }
      }
    }
  }
}

}  // namespace

bool sgemm_avx512_available() {
  static const bool available = [] {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
  }();
  return available;
}

void sgemm_avx512(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                  const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0 || alpha == 0.f) return scale_c(m, n, beta, c, ldc);  // BLAS: A, B not read
  // The dot kernel wins when k is long enough to amortise its 24 horizontal sums per block.
  if (!trans_a && trans_b && k >= kSgemmDotMinK) dot_gemm(m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else packed_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void sgemm_avx512_packed_b(int64_t m, int64_t n, int64_t k, const float* a, int64_t lda, const float* b_panels,
                           float beta, float* c, int64_t ldc) {
  static_assert(kSgemmPanel == kNr, "sgemm.h's panel width is the micro-kernel's");
  if (m <= 0 || n <= 0) return;
  if (k <= 0) return scale_c(m, n, beta, c, ldc);
  prepacked_gemm(m, n, k, a, lda, b_panels, beta, c, ldc);
}

}  // namespace cpu
}  // namespace ember

#pragma GCC diagnostic pop
