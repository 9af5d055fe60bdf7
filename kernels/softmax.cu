// softmax / log_softmax over the middle dim of a contiguous (outer, c, inner) tensor, their
// backward, and the two halves of the fused cross entropy (per-sample NLL with label smoothing,
// and the gradient with respect to the logits). Semantics: src/cpu/softmax.cpp.
//
// Layout decides the parallel shape:
//   inner == 1 (rows of c contiguous values, the classifier case): a team of threads per row
//     reduces the max and the sum with warp shuffles: one warp per row when c <= kWarpRowMax
//     (a classifier's 10..1000 classes would leave most of a block idle), else one block.
//   inner > 1: one thread per (outer, inner) column walks its c values inner apart; adjacent
//     threads hold adjacent columns, so every step of the walk is a coalesced read.
// Numerics: the max is subtracted before exp (no overflow), a NaN anywhere in a row makes the
// whole row NaN (as on the CPU), and log_softmax is computed as (x - max) - log(sum): forming
// max + log(sum) first would round away low bits of large logits.
#include <cmath>
#include <limits>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

constexpr int64_t kWarpRowMax = 1024;  // widest row given to a single warp
constexpr int kRowBlock = 512;         // threads of a block-per-row team

__device__ __forceinline__ float dev_exp(float x) { return ::expf(x); }
__device__ __forceinline__ double dev_exp(double x) { return ::exp(x); }
__device__ __forceinline__ float dev_log(float x) { return ::logf(x); }
__device__ __forceinline__ double dev_log(double x) { return ::log(x); }

__device__ __forceinline__ float shfl_xor(float v, int m) { return __shfl_xor_sync(0xffffffffu, v, m); }
__device__ __forceinline__ double shfl_xor(double v, int m) { return __shfl_xor_sync(0xffffffffu, v, m); }

/// max that lets a NaN through from either side.
struct MaxNan {
  template <typename A>
  __device__ __forceinline__ A operator()(A a, A b) const {
    return (a != a || a > b) ? a : b;
  }
};
struct Plus {
  template <typename A>
  __device__ __forceinline__ A operator()(A a, A b) const {
    return a + b;
  }
};

/// Butterfly reduction: every lane of the warp gets the result.
template <typename A, typename Op>
__device__ __forceinline__ A warp_all_reduce(A v, Op op) {
#pragma unroll
  for (int m = 16; m > 0; m >>= 1) v = op(v, shfl_xor(v, m));
  return v;
}

/// The rows of a launch are shared by teams: a warp (kBlock false) or the whole block.
/// team_reduce gives every thread of the team the reduction of its values, in a fixed order.
template <bool kBlock>
struct Team {
  int64_t first_row, row_step;
  int rank, size;

  __device__ Team() {
    if (kBlock) {
      first_row = blockIdx.x;
      row_step = gridDim.x;
      rank = threadIdx.x;
      size = blockDim.x;
    } else {
      const int warps = blockDim.x / 32;
      first_row = int64_t(blockIdx.x) * warps + threadIdx.x / 32;
      row_step = int64_t(gridDim.x) * warps;
      rank = threadIdx.x % 32;
      size = 32;
    }
  }

  // smem: 32 slots of scratch shared by the block (block teams only).
  template <typename A, typename Op>
  __device__ A reduce(A v, Op op, A* smem) const {
    v = warp_all_reduce(v, op);
    if (!kBlock) return v;
    const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
    __syncthreads();  // the previous reduction's readers are done with smem
    if (lane == 0) smem[warp] = v;
    __syncthreads();
    v = smem[0];
    for (int w = 1; w < warps; ++w) v = op(v, smem[w]);
    return v;
  }
};

// out, in: (rows, c).
template <typename T, bool kBlock>
__global__ void softmax_rows_kernel(T* __restrict__ out, const T* __restrict__ in, int64_t rows, int64_t c, bool log) {
  __shared__ T smem[32];
  const Team<kBlock> team;
  // The row loop is uniform across the team, as its shuffles and barriers require.
  for (int64_t row = team.first_row; row < rows; row += team.row_step) {
    const T* x = in + row * c;
    T* y = out + row * c;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t j = team.rank; j < c; j += team.size) m = MaxNan()(m, x[j]);
    m = team.reduce(m, MaxNan(), smem);
    T s = T(0);
    for (int64_t j = team.rank; j < c; j += team.size) s += dev_exp(x[j] - m);
    s = team.reduce(s, Plus(), smem);
    if (log) {
      const T ls = dev_log(s);
      for (int64_t j = team.rank; j < c; j += team.size) y[j] = (x[j] - m) - ls;
    } else {
      for (int64_t j = team.rank; j < c; j += team.size) y[j] = dev_exp(x[j] - m) / s;
    }
  }
}

// out, in: (outer, c, inner); one thread per (outer, inner) column.
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    softmax_columns_kernel(T* __restrict__ out, const T* __restrict__ in, int64_t outer, int64_t c, int64_t inner,
                           bool log) {
  const int64_t total = outer * inner;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t o = i / inner, j = i % inner;
    const T* x = in + o * c * inner + j;
    T* y = out + o * c * inner + j;
    T m = -std::numeric_limits<T>::infinity();
    for (int64_t k = 0; k < c; ++k) m = MaxNan()(m, x[k * inner]);
    T s = T(0);
    for (int64_t k = 0; k < c; ++k) s += dev_exp(x[k * inner] - m);
    if (log) {
      const T ls = dev_log(s);
      for (int64_t k = 0; k < c; ++k) y[k * inner] = (x[k * inner] - m) - ls;
    } else {
      for (int64_t k = 0; k < c; ++k) y[k * inner] = dev_exp(x[k * inner] - m) / s;
    }
  }
}

// log:  gi = go - exp(y) * sum(go);   else: gi = y * (go - sum(go * y)).   All (rows, c).
template <typename T, bool kBlock>
__global__ void softmax_backward_rows_kernel(T* __restrict__ gi, const T* __restrict__ go, const T* __restrict__ out,
                                             int64_t rows, int64_t c, bool log) {
  __shared__ T smem[32];
  const Team<kBlock> team;
  for (int64_t row = team.first_row; row < rows; row += team.row_step) {
    const T* g = go + row * c;
    const T* y = out + row * c;
    T* d = gi + row * c;
    T acc = T(0);
    for (int64_t j = team.rank; j < c; j += team.size) acc += log ? g[j] : g[j] * y[j];
    acc = team.reduce(acc, Plus(), smem);
    for (int64_t j = team.rank; j < c; j += team.size) d[j] = log ? g[j] - dev_exp(y[j]) * acc : y[j] * (g[j] - acc);
  }
}

// As above over (outer, c, inner), one thread per (outer, inner) column.
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    softmax_backward_columns_kernel(T* __restrict__ gi, const T* __restrict__ go, const T* __restrict__ out,
                                    int64_t outer, int64_t c, int64_t inner, bool log) {
  const int64_t total = outer * inner;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t base = (i / inner) * c * inner + i % inner;
    T acc = T(0);
    for (int64_t k = 0; k < c; ++k) {
      const int64_t at = base + k * inner;
      acc += log ? go[at] : go[at] * out[at];
    }
    for (int64_t k = 0; k < c; ++k) {
      const int64_t at = base + k * inner;
      gi[at] = log ? go[at] - dev_exp(out[at]) * acc : out[at] * (go[at] - acc);
    }
  }
}

// losses: (n);  logp: (n, c);  target: (n). One warp per sample; the loss is formed in double,
// as on the CPU.
template <typename T>
__global__ void nll_forward_kernel(T* __restrict__ losses, const T* __restrict__ logp,
                                   const int64_t* __restrict__ target, int64_t n, int64_t c, int64_t ignore_index,
                                   double eps) {
  const Team<false> team;
  for (int64_t i = team.first_row; i < n; i += team.row_step) {
    const int64_t t = target[i];
    // The host checks targets before launching, except inside a CUDA graph capture (it cannot
    // read them then): a bad target poisons the loss, never reads out of bounds.
    const TargetKind kind = target_kind(t, c, ignore_index);
    if (kind != TargetKind::Class) {
      if (team.rank == 0) losses[i] = kind == TargetKind::Ignored ? T(0) : T(NAN);
      continue;
    }
    const T* row = logp + i * c;
    double total = 0;
    if (eps > 0) {
      for (int64_t j = team.rank; j < c; j += team.size) total += double(row[j]);
      total = warp_all_reduce(total, Plus());
    }
    if (team.rank == 0) losses[i] = T(smoothed_nll(double(row[t]), total, eps, c));
  }
}

// grad: (n, c) = scale * (exp(logp) - smoothed one-hot), 0 on ignored rows;  target: (n).
template <typename T>
__global__ void __launch_bounds__(kBlockSize)
    cross_entropy_backward_kernel(T* __restrict__ grad, const T* __restrict__ logp, const int64_t* __restrict__ target,
                                  int64_t n, int64_t c, int64_t ignore_index, T scale, SmoothedOneHot<T> q) {
  const int64_t total = n * c;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(blockDim.x) * gridDim.x) {
    const int64_t row = i / c, j = i % c;
    const int64_t t = target[row];
    const TargetKind kind = target_kind(t, c, ignore_index);  // Bad: see nll_forward_kernel
    grad[i] = kind == TargetKind::Class ? q.grad(logp[i], j == t, scale) : kind == TargetKind::Ignored ? T(0) : T(NAN);
  }
}

/// Blocks for `rows` rows, one warp each (kBlockSize threads per block).
unsigned warp_row_grid(int64_t rows) { return grid_for(rows * 32, kBlockSize); }
/// Blocks for `rows` rows, one block each (a grid-stride loop covers the rest).
unsigned block_row_grid(int64_t rows) { return grid_for(rows * kRowBlock, kRowBlock); }

}  // namespace
}  // namespace cuda_kernels

using cuda_kernels::current_stream;
using cuda_kernels::grid_for;
using cuda_kernels::kBlockSize;

void CudaBackend::softmax_forward(const Tensor& out, const Tensor& in, int64_t outer, int64_t c, int64_t inner,
                                  bool log) {
  if (outer == 0 || c == 0 || inner == 0) return;
  dispatch_floating(in.dtype(), log ? "log_softmax" : "softmax", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* y = out.data_ptr<T>();
    const T* x = in.data_ptr<T>();
    if (inner == 1 && c <= cuda_kernels::kWarpRowMax) {
      cuda_kernels::softmax_rows_kernel<T, false>
          <<<cuda_kernels::warp_row_grid(outer), kBlockSize, 0, current_stream()>>>(y, x, outer, c, log);
    } else if (inner == 1) {
      cuda_kernels::softmax_rows_kernel<T, true>
          <<<cuda_kernels::block_row_grid(outer), cuda_kernels::kRowBlock, 0, current_stream()>>>(y, x, outer, c, log);
    } else {
      cuda_kernels::softmax_columns_kernel<T>
          <<<grid_for(outer * inner), kBlockSize, 0, current_stream()>>>(y, x, outer, c, inner, log);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::softmax_backward(const Tensor& grad_in, const Tensor& grad_out, const Tensor& out, int64_t outer,
                                   int64_t c, int64_t inner, bool log) {
  if (outer == 0 || c == 0 || inner == 0) return;
  dispatch_floating(out.dtype(), log ? "log_softmax_backward" : "softmax_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* gi = grad_in.data_ptr<T>();
    const T* go = grad_out.data_ptr<T>();
    const T* y = out.data_ptr<T>();
    if (inner == 1 && c <= cuda_kernels::kWarpRowMax) {
      cuda_kernels::softmax_backward_rows_kernel<T, false>
          <<<cuda_kernels::warp_row_grid(outer), kBlockSize, 0, current_stream()>>>(gi, go, y, outer, c, log);
    } else if (inner == 1) {
      cuda_kernels::softmax_backward_rows_kernel<T, true>
          <<<cuda_kernels::block_row_grid(outer), cuda_kernels::kRowBlock, 0, current_stream()>>>(gi, go, y, outer, c,
                                                                                                  log);
    } else {
      cuda_kernels::softmax_backward_columns_kernel<T>
          <<<grid_for(outer * inner), kBlockSize, 0, current_stream()>>>(gi, go, y, outer, c, inner, log);
    }
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::nll_forward(const Tensor& losses, const Tensor& logp, const Tensor& target, int64_t ignore_index,
                              double label_smoothing) {
  const int64_t n = logp.size(0), c = logp.size(1);
  if (n == 0) return;
  dispatch_floating(logp.dtype(), "cross_entropy", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::nll_forward_kernel<T><<<cuda_kernels::warp_row_grid(n), kBlockSize, 0, current_stream()>>>(
        losses.data_ptr<T>(), logp.data_ptr<T>(), target.data_ptr<int64_t>(), n, c, ignore_index, label_smoothing);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::cross_entropy_backward(const Tensor& grad_logits, const Tensor& logp, const Tensor& target,
                                         int64_t ignore_index, double label_smoothing, double scale) {
  const int64_t n = logp.size(0), c = logp.size(1);
  if (n == 0 || c == 0) return;
  dispatch_floating(logp.dtype(), "cross_entropy_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    cuda_kernels::cross_entropy_backward_kernel<T><<<grid_for(n * c), kBlockSize, 0, current_stream()>>>(
        grad_logits.data_ptr<T>(), logp.data_ptr<T>(), target.data_ptr<int64_t>(), n, c, ignore_index, T(scale),
        SmoothedOneHot<T>::make(label_smoothing, c));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
