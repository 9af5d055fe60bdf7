// Reductions over the middle dim of a contiguous (outer, k, inner) tensor: Sum, Mean, Max, Min
// (Max/Min optionally with the int64 index of the extreme along k).
//
// Every reduction is a Reducer: a State (the running sum, or a value with its index), its
// identity, how one input element becomes a State, how two States combine, and how a finished
// State is stored. Two kernels drive any Reducer:
//  - inner == 1 (rows of k contiguous values): one block per output row (a grid-stride loop over
//    rows). Each thread folds a strided slice of the row, then the block combines the threads'
//    states as a tree: warp shuffles, then one warp over the per-warp results. When there are
//    too few rows to fill the GPU (a full reduction is one row), each row is also split into
//    chunks over blockIdx.y; the chunks' states go to a scratch buffer and a second launch of
//    the same tree combines them. Block size and split depend only on the shape (and the SM
//    count), so repeated runs give the same bits.
//  - inner > 1 (columns): a 2-D block whose x threads cover adjacent outputs (so each step reads
//    a contiguous stretch of memory) and whose y threads take every blockDim.y-th step of k; the
//    y partial states are then combined as a tree in shared memory.
// float32 accumulates in float (tree order keeps the error small); float64 in double, int64 in
// int64. Max/Min follow PyTorch: NaN counts as the extreme, and among equal values (or NaNs) the
// smallest index wins; the combine rule is order-free, so the tree gives the CPU's answer.
#include <functional>
#include <limits>
#include <memory>

#include "common.cuh"
#include "cuda/allocator.h"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

constexpr int kMaxRowBlock = 512;  // threads per block for rows
constexpr int kColBlock = 512;     // threads per block for columns
constexpr int kMinChunk = 2048;    // a split row chunk covers at least this many values

// --- reducers ----------------------------------------------------------------------------------

/// Sum or Mean: State is the accumulator type.
template <typename T>
struct SumReducer {
  using State = T;
  T* out;
  int64_t k;
  bool mean;
  __device__ __forceinline__ State identity() const { return T(0); }
  __device__ __forceinline__ State load(T x, int64_t) const { return x; }
  __device__ __forceinline__ State combine(State a, State b) const { return a + b; }
  __device__ __forceinline__ State shfl(State s, int delta) const { return shfl_down(s, delta); }
  __device__ __forceinline__ void store(int64_t i, State s) const {
    // Mean divides in double: exact enough for float, and never an integer division by zero.
    out[i] = mean ? T(double(s) / double(k)) : s;
  }
};

/// A value and its position along k; index < 0 marks the empty state. No constructors or
/// default member initialisers, so it can live in __shared__ memory.
template <typename T>
struct ValueIndex {
  T value;
  int64_t index;
};

template <typename T, bool IsMax>
struct ExtremeReducer {
  using State = ValueIndex<T>;
  T* out;
  int64_t* indices;  // null when not wanted
  __device__ __forceinline__ State identity() const { return State{T(0), -1}; }
  __device__ __forceinline__ State load(T x, int64_t j) const { return State{x, j}; }
  /// The winner of two states, independent of argument order.
  __device__ __forceinline__ State combine(State a, State b) const {
    if (a.index < 0) return b;
    if (b.index < 0) return a;
    const bool an = is_nan(a.value), bn = is_nan(b.value);
    if (an || bn) {
      if (an && bn) return a.index < b.index ? a : b;
      return an ? a : b;
    }
    if (IsMax ? a.value > b.value : a.value < b.value) return a;
    if (IsMax ? b.value > a.value : b.value < a.value) return b;
    return a.index < b.index ? a : b;
  }
  __device__ __forceinline__ State shfl(State s, int delta) const {
    return State{shfl_down(s.value, delta), shfl_down(s.index, delta)};
  }
  __device__ __forceinline__ void store(int64_t i, State s) const {
    out[i] = s.value;
    if (indices != nullptr) indices[i] = s.index;
  }
};

// --- block-wide tree ---------------------------------------------------------------------------

/// Combines the states of all threads of a 1-D block; the result is valid in thread 0. Every
/// thread must call it (it synchronises); it leaves the shared scratch free for reuse.
template <typename R>
__device__ __forceinline__ typename R::State block_combine(const R& r, typename R::State s) {
  using State = typename R::State;
  __shared__ State warp_states[32];
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
#pragma unroll
  for (int d = 16; d > 0; d >>= 1) s = r.combine(s, r.shfl(s, d));
  if (warps == 1) return s;
  if (lane == 0) warp_states[warp] = s;
  __syncthreads();
  if (warp == 0) {
    s = lane < warps ? warp_states[lane] : r.identity();
#pragma unroll
    for (int d = 16; d > 0; d >>= 1) s = r.combine(s, r.shfl(s, d));
  }
  __syncthreads();
  return s;
}

// --- kernels -----------------------------------------------------------------------------------

/// in: (outer, k). Block (x: row in a grid-stride loop, y: chunk of `chunk` values). With one
/// chunk the row's result is stored; otherwise partial: (outer, gridDim.y) gets each chunk's state.
template <typename R, typename T>
__global__ void reduce_rows_kernel(R r, const T* __restrict__ in, int64_t outer, int64_t k, int64_t chunk,
                                   typename R::State* __restrict__ partial) {
  const int64_t begin = int64_t(blockIdx.y) * chunk;
  const int64_t end = begin + chunk < k ? begin + chunk : k;
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    const T* p = in + row * k;
    typename R::State s = r.identity();
    for (int64_t j = begin + threadIdx.x; j < end; j += blockDim.x) s = r.combine(s, r.load(p[j], j));
    s = block_combine(r, s);
    if (threadIdx.x == 0) {
      if (partial == nullptr) r.store(row, s);
      else partial[row * gridDim.y + blockIdx.y] = s;
    }
  }
}

/// partial: (outer, splits) chunk states -> one stored result per row.
template <typename R>
__global__ void reduce_partials_kernel(R r, const typename R::State* __restrict__ partial, int64_t outer,
                                       int64_t splits) {
  for (int64_t row = blockIdx.x; row < outer; row += gridDim.x) {
    typename R::State s = r.identity();
    for (int64_t j = threadIdx.x; j < splits; j += blockDim.x) s = r.combine(s, partial[row * splits + j]);
    s = block_combine(r, s);
    if (threadIdx.x == 0) r.store(row, s);
  }
}

/// in: (outer, k, inner) -> out (outer, inner). Block (x: adjacent outputs, y: steps of k);
/// grid (x: tiles of inner, y: outer in a grid-stride loop). Dynamic shared memory holds
/// blockDim.x * blockDim.y states.
template <typename R, typename T>
__global__ void reduce_cols_kernel(R r, const T* __restrict__ in, int64_t outer, int64_t k, int64_t inner) {
  using State = typename R::State;
  extern __shared__ __align__(16) unsigned char smem_raw[];
  State* smem = reinterpret_cast<State*>(smem_raw);
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int slot = threadIdx.y * blockDim.x + threadIdx.x;
  for (int64_t o = blockIdx.y; o < outer; o += gridDim.y) {
    State s = r.identity();
    if (i < inner) {
      const T* p = in + o * k * inner + i;
      for (int64_t j = threadIdx.y; j < k; j += blockDim.y) s = r.combine(s, r.load(p[j * inner], j));
    }
    smem[slot] = s;
    __syncthreads();
    for (int half = blockDim.y / 2; half > 0; half /= 2) {  // blockDim.y is a power of two
      if (int(threadIdx.y) < half) smem[slot] = r.combine(smem[slot], smem[slot + half * blockDim.x]);
      __syncthreads();
    }
    if (threadIdx.y == 0 && i < inner) r.store(o * inner + i, smem[threadIdx.x]);
    __syncthreads();  // smem is rewritten by the next o
  }
}

// --- launchers ---------------------------------------------------------------------------------

int pow2_at_least(int64_t n, int lo, int hi) {
  int p = lo;
  while (p < hi && p < n) p *= 2;
  return p;
}

template <typename R, typename T>
void reduce_rows(const R& r, const T* in, int64_t outer, int64_t k) {
  using State = typename R::State;
  const cudaStream_t stream = current_stream();
  // Enough blocks to fill the GPU a few times over; split rows only when rows alone do not.
  const int64_t target = int64_t(multiprocessor_count()) * 4;
  int64_t splits = 1;
  if (outer < target && k > 2 * kMinChunk) {
    splits = std::min((target + outer - 1) / outer, (k + kMinChunk - 1) / kMinChunk);
    splits = std::min<int64_t>(splits, 65535);
  }
  const int64_t chunk = (k + splits - 1) / splits;
  const int block = pow2_at_least(chunk, 32, kMaxRowBlock);
  const dim3 grid{unsigned(std::min<int64_t>(outer, int64_t(multiprocessor_count()) * 32)), unsigned(splits)};
  if (splits == 1) {
    reduce_rows_kernel<<<grid, block, 0, stream>>>(r, in, outer, k, chunk, static_cast<State*>(nullptr));
    EMBER_CUDA_LAUNCH_CHECK();
    return;
  }
  // The scratch goes back to the cache at the end of this scope; the stream orders its reuse.
  auto& alloc = cuda_detail::current_allocator();
  const size_t bytes = size_t(outer * splits) * sizeof(State);
  std::unique_ptr<void, std::function<void(void*)>> scratch(alloc.allocate(bytes),
                                                            [&alloc](void* p) { alloc.free(p); });
  State* partial = static_cast<State*>(scratch.get());
  reduce_rows_kernel<<<grid, block, 0, stream>>>(r, in, outer, k, chunk, partial);
  EMBER_CUDA_LAUNCH_CHECK();
  const int block2 = pow2_at_least(splits, 32, kMaxRowBlock);
  reduce_partials_kernel<<<grid.x, block2, 0, stream>>>(r, partial, outer, splits);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename R, typename T>
void reduce_cols(const R& r, const T* in, int64_t outer, int64_t k, int64_t inner) {
  using State = typename R::State;
  // y threads only help when k is long; x threads cover the rest of the block.
  const int by = pow2_at_least(k, 1, 16);
  const int bx = kColBlock / by;
  const dim3 block{unsigned(bx), unsigned(by)};
  const int64_t tiles = (inner + bx - 1) / bx;
  const dim3 grid{unsigned(tiles), unsigned(std::min<int64_t>(outer, 65535))};
  EMBER_CHECK(tiles <= int64_t(std::numeric_limits<int32_t>::max()), "reduce: inner size ", inner,
              " is too large for one launch");
  const size_t smem = size_t(bx) * by * sizeof(State);
  reduce_cols_kernel<<<grid, block, smem, current_stream()>>>(r, in, outer, k, inner);
  EMBER_CUDA_LAUNCH_CHECK();
}

template <typename R, typename T>
void run_reducer(const R& r, const T* in, int64_t outer, int64_t k, int64_t inner) {
  if (inner == 1) reduce_rows(r, in, outer, k);
  else reduce_cols(r, in, outer, k, inner);
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t outer,
                         int64_t k, int64_t inner) {
  using namespace cuda_kernels;
  // The front half (src/ops/reduce.cpp) guards dtypes, k == 0 and empty outputs.
  dispatch_all(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());
    const T* x = static_cast<const T*>(in.data_ptr());
    if (op == ReduceOp::Max || op == ReduceOp::Min) {
      int64_t* ix = indices.defined() ? static_cast<int64_t*>(indices.data_ptr()) : nullptr;
      if (op == ReduceOp::Max) run_reducer(ExtremeReducer<T, true>{o, ix}, x, outer, k, inner);
      else run_reducer(ExtremeReducer<T, false>{o, ix}, x, outer, k, inner);
    } else if constexpr (!std::is_same<T, bool>::value) {
      run_reducer(SumReducer<T>{o, k, op == ReduceOp::Mean}, x, outer, k, inner);
    }
  });
}

}  // namespace ember
