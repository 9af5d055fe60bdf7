#pragma once
// The block-wide double sum the reduction kernels of batch_norm.cu and row_norm.cu share: one
// block reduces one channel or row, in a fixed order, so results repeat run to run.
#include <cuda_runtime.h>

namespace ember {
namespace cuda_kernels {

constexpr int kReduceThreads = 512;

/// The sum of every thread's v in the block (of at most kReduceThreads threads, a multiple of 32),
/// returned to all threads. Fixed order: lanes by shuffles, then warp 0 over the warps' sums.
__device__ __forceinline__ double block_sum(double v) {
  __shared__ double warp_sums[kReduceThreads / 32];
  for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < int(blockDim.x / 32) ? warp_sums[lane] : 0.0;
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    if (lane == 0) warp_sums[0] = v;
  }
  __syncthreads();
  const double total = warp_sums[0];
  __syncthreads();  // warp_sums is reused by the next call
  return total;
}

}  // namespace cuda_kernels
}  // namespace ember
