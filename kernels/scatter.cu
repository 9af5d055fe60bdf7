// CUDA gather / scatter over any strides (src/scatter_geometry.h), and nonzero.
//
// gather and scatter: one thread per index element, which decodes its coordinates and reads or
// updates one element. Repeated destinations of scatter race: Assign keeps one of the writers
// (as PyTorch's CUDA kernel), Sum adds with atomicAdd, Prod / Amax / Amin with compare-and-swap
// loops, so float results can differ in rounding run to run (docs/determinism.md).
//
// nonzero keeps the row-major order with two passes over chunks of kChunk elements: one block
// counts each chunk, the host turns the counts into offsets (the caller waited for the total
// anyway), and the second pass has each thread write the coordinates of its kPerThread
// consecutive elements at its block offset plus the count of the threads before it.
#include <cstring>
#include <type_traits>
#include <vector>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

/// The offsets of index element e in index, self (without dim) and other.
__device__ __forceinline__ void scatter_offsets(const ScatterGeometry& g, int64_t e, int64_t& io, int64_t& so,
                                                int64_t& oo) {
  io = so = oo = 0;
  for (int k = g.ndim - 1; k >= 0; --k) {
    const int64_t c = e % g.sizes[k];
    e /= g.sizes[k];
    io += c * g.index_strides[k];
    so += c * g.self_strides[k];
    oo += c * g.other_strides[k];
  }
}

template <typename T>
__global__ void gather_kernel(T* __restrict__ out, const T* __restrict__ in, const int64_t* __restrict__ ix,
                              ScatterGeometry g) {
  const int64_t step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < g.numel; e += step) {
    int64_t io, so, oo;
    scatter_offsets(g, e, io, so, oo);
    out[oo] = in[so + ix[io] * g.self_dim_stride];
  }
}

template <typename T>
struct BitsOf {
  using type = std::conditional_t<sizeof(T) == 4, unsigned int, unsigned long long>;
};

/// *p = f(*p), atomically, by compare-and-swap on the value's bits.
template <typename T, typename F>
__device__ __forceinline__ void atomic_update(T* p, F f) {
  using U = typename BitsOf<T>::type;
  U* a = reinterpret_cast<U*>(p);
  U old = *a, assumed;
  do {
    assumed = old;
    T cur;
    memcpy(&cur, &assumed, sizeof(T));
    const T next = f(cur);
    U bits;
    memcpy(&bits, &next, sizeof(T));
    old = atomicCAS(a, assumed, bits);
  } while (assumed != old);
}

template <ScatterReduce Op, typename T>
__device__ __forceinline__ void combine(T* p, T v) {
  if constexpr (Op == ScatterReduce::Assign) {
    *p = v;
  } else if constexpr (std::is_same<T, bool>::value) {
    // bool: sum and amax are "or", prod and amin "and"; every racing writer stores the same byte.
    if (Op == ScatterReduce::Sum || Op == ScatterReduce::Amax) {
      if (v) *p = true;
    } else if (!v) {
      *p = false;
    }
  } else if constexpr (Op == ScatterReduce::Sum) {
    if constexpr (std::is_same<T, int64_t>::value)
      atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
    else atomicAdd(p, v);
  } else if constexpr (Op == ScatterReduce::Prod) {
    atomic_update(p, [v](T cur) { return T(cur * v); });
  } else if constexpr (Op == ScatterReduce::Amax) {
    atomic_update(p, [v](T cur) { return (v > cur || v != v) ? v : cur; });
  } else {
    atomic_update(p, [v](T cur) { return (v < cur || v != v) ? v : cur; });
  }
}

template <ScatterReduce Op, typename T>
__global__ void scatter_kernel(T* self, const int64_t* __restrict__ ix, const T* __restrict__ src, ScatterGeometry g) {
  const int64_t step = int64_t(blockDim.x) * gridDim.x;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < g.numel; e += step) {
    int64_t io, so, oo;
    scatter_offsets(g, e, io, so, oo);
    combine<Op>(self + so + ix[io] * g.self_dim_stride, src[oo]);
  }
}

constexpr int kPerThread = 4;
constexpr int kChunk = kBlockSize * kPerThread;  // elements per block in nonzero

/// counts[b] = the true elements of chunk b of mask (n elements).
__global__ void nonzero_count_kernel(const bool* __restrict__ mask, int64_t n, int64_t* __restrict__ counts) {
  __shared__ int partial[kBlockSize];
  const int64_t base = int64_t(blockIdx.x) * kChunk;
  int c = 0;
  for (int k = threadIdx.x; k < kChunk; k += kBlockSize) c += (base + k < n && mask[base + k]) ? 1 : 0;
  partial[threadIdx.x] = c;
  __syncthreads();
  for (int s = kBlockSize / 2; s > 0; s >>= 1) {
    if (int(threadIdx.x) < s) partial[threadIdx.x] += partial[threadIdx.x + s];
    __syncthreads();
  }
  if (threadIdx.x == 0) counts[blockIdx.x] = partial[0];
}

struct MaskShape {
  int k;
  int64_t sizes[kMaxGeometryDims];
};

/// Writes the coordinates of chunk b's true elements from row offsets[b] of out (n_true, k).
__global__ void nonzero_write_kernel(const bool* __restrict__ mask, int64_t n, const int64_t* __restrict__ offsets,
                                     int64_t* __restrict__ out, MaskShape shape) {
  __shared__ int before[kBlockSize];
  const int64_t first = int64_t(blockIdx.x) * kChunk + int64_t(threadIdx.x) * kPerThread;
  int c = 0;
  for (int j = 0; j < kPerThread; ++j) c += (first + j < n && mask[first + j]) ? 1 : 0;
  before[threadIdx.x] = c;
  __syncthreads();
  if (threadIdx.x == 0) {  // exclusive prefix over the block's threads (256 adds)
    int run = 0;
    for (int t = 0; t < kBlockSize; ++t) {
      const int v = before[t];
      before[t] = run;
      run += v;
    }
  }
  __syncthreads();
  int64_t at = offsets[blockIdx.x] + before[threadIdx.x];
  for (int j = 0; j < kPerThread; ++j) {
    const int64_t i = first + j;
    if (i >= n || !mask[i]) continue;
    int64_t rem = i;
    for (int d = shape.k - 1; d >= 0; --d) {
      out[at * shape.k + d] = rem % shape.sizes[d];
      rem /= shape.sizes[d];
    }
    ++at;
  }
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::gather(const Tensor& other, const Tensor& self, const Tensor& index, const ScatterGeometry& g) {
  using namespace cuda_kernels;
  if (g.numel == 0) return;
  dispatch_all(self.dtype(), "gather", [&](auto tag) {
    using T = typename decltype(tag)::type;
    gather_kernel<T><<<grid_for(g.numel), kBlockSize, 0, current_stream()>>>(
        static_cast<T*>(other.data_ptr()), static_cast<const T*>(self.data_ptr()),
        static_cast<const int64_t*>(index.data_ptr()), g);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::scatter(const Tensor& self, const Tensor& index, const Tensor& other, const ScatterGeometry& g,
                          ScatterReduce op) {
  using namespace cuda_kernels;
  if (g.numel == 0) return;
  dispatch_all(self.dtype(), "scatter", [&](auto tag) {
    using T = typename decltype(tag)::type;
    dispatch_reduce(op, [&](auto op_tag) {
      scatter_kernel<decltype(op_tag)::value, T><<<grid_for(g.numel), kBlockSize, 0, current_stream()>>>(
          static_cast<T*>(self.data_ptr()), static_cast<const int64_t*>(index.data_ptr()),
          static_cast<const T*>(other.data_ptr()), g);
      EMBER_CUDA_LAUNCH_CHECK();
    });
  });
}

void CudaBackend::nonzero(const Tensor& out, const Tensor& mask) {
  using namespace cuda_kernels;
  const int64_t n = mask.numel();
  if (out.size(0) == 0 || n == 0) return;
  EMBER_CHECK(mask.dim() <= kMaxGeometryDims, "nonzero: at most ", kMaxGeometryDims, " dims are supported");
  const int64_t blocks = (n + kChunk - 1) / kChunk;
  Tensor counts = make_empty({blocks}, kLong, mask.device());
  const bool* m = static_cast<const bool*>(mask.data_ptr());
  nonzero_count_kernel<<<unsigned(blocks), kBlockSize, 0, current_stream()>>>(m, n, counts.data_ptr<int64_t>());
  EMBER_CUDA_LAUNCH_CHECK();
  std::vector<int64_t> host(size_t(blocks), 0);
  copy_to_host(host.data(), counts.data_ptr(), size_t(blocks) * sizeof(int64_t));
  int64_t run = 0;
  for (int64_t& c : host) {
    const int64_t v = c;
    c = run;
    run += v;
  }
  copy_from_host(counts.data_ptr(), host.data(), size_t(blocks) * sizeof(int64_t));
  MaskShape shape;
  shape.k = int(out.size(1));
  for (int d = 0; d < shape.k; ++d) shape.sizes[d] = mask.size(d);
  if (shape.k == 0) shape.sizes[0] = 1;
  nonzero_write_kernel<<<unsigned(blocks), kBlockSize, 0, current_stream()>>>(m, n, counts.data_ptr<int64_t>(),
                                                                              out.data_ptr<int64_t>(), shape);
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace ember
