// int64 GEMM: cuBLAS has no integer GEMM, and integer matmul is rare in training (index
// arithmetic, tests), so a plain shared-memory tiled kernel is enough: each 16x16 block computes
// one 16x16 tile of c, staging 16x16 tiles of a and b through shared memory so each element of a
// and b is read from global memory once per tile instead of once per product.
//
// The arithmetic is done in uint64_t: it wraps modulo 2^64 exactly as two's-complement int64
// would, without signed overflow's undefined behaviour.
#include "common.cuh"
#include "cuda/blas.h"

namespace ember {
namespace cuda_kernels {
namespace {

constexpr int kTile = 16;

// c: (m, n) contiguous;  a: (m, k) at strides (as0, as1);  b: (k, n) at strides (bs0, bs1).
// Grid: x over column tiles, y over row tiles (the y loop covers row tiles past gridDim.y).
__global__ void __launch_bounds__(kTile* kTile)
    gemm_int64_kernel(int64_t m, int64_t n, int64_t k, uint64_t alpha, const int64_t* __restrict__ a, int64_t as0,
                      int64_t as1, const int64_t* __restrict__ b, int64_t bs0, int64_t bs1, uint64_t beta,
                      int64_t* __restrict__ c) {
  __shared__ uint64_t ta[kTile][kTile];
  __shared__ uint64_t tb[kTile][kTile];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int64_t col = int64_t(blockIdx.x) * kTile + tx;
  const int64_t row_tiles = (m + kTile - 1) / kTile;
  for (int64_t tile_row = blockIdx.y; tile_row < row_tiles; tile_row += gridDim.y) {
    const int64_t row = tile_row * kTile + ty;
    uint64_t acc = 0;
    for (int64_t p0 = 0; p0 < k; p0 += kTile) {
      const int64_t pa = p0 + tx, pb = p0 + ty;
      ta[ty][tx] = (row < m && pa < k) ? uint64_t(a[row * as0 + pa * as1]) : 0;
      tb[ty][tx] = (pb < k && col < n) ? uint64_t(b[pb * bs0 + col * bs1]) : 0;
      __syncthreads();
#pragma unroll
      for (int q = 0; q < kTile; ++q) acc += ta[ty][q] * tb[q][tx];
      __syncthreads();
    }
    if (row < m && col < n) {
      int64_t* dst = c + row * n + col;
      // beta == 0 overwrites without reading (BLAS semantics).
      const uint64_t old = beta == 0 ? 0 : beta * uint64_t(*dst);
      *dst = int64_t(alpha * acc + old);
    }
  }
}

}  // namespace
}  // namespace cuda_kernels

namespace cuda_detail {

void gemm_int64(int64_t m, int64_t n, int64_t k, int64_t alpha, const int64_t* a, int64_t a_s0, int64_t a_s1,
                const int64_t* b, int64_t b_s0, int64_t b_s1, int64_t beta, int64_t* c) {
  using cuda_kernels::kTile;
  if (m <= 0 || n <= 0) return;
  const int64_t col_tiles = (n + kTile - 1) / kTile, row_tiles = (m + kTile - 1) / kTile;
  EMBER_CHECK(col_tiles <= int64_t(INT32_MAX), "mm (cuda, int64): ", n, " columns are too many for one grid");
  const dim3 block(kTile, kTile);
  const dim3 grid(unsigned(col_tiles), unsigned(std::min<int64_t>(row_tiles, 65535)));
  cuda_kernels::gemm_int64_kernel<<<grid, block, 0, cuda_kernels::current_stream()>>>(
      m, n, k, uint64_t(alpha), a, a_s0, a_s1, b, b_s0, b_s1, uint64_t(beta), c);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace cuda_detail
}  // namespace ember
