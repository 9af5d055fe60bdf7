// Indexing along one dim: index_select (gather slices) and index_add (scatter-add slices).
//
// Both view their tensors as (outer, n, inner) around `dim`, with the index of `count` entries
// selecting slices of `inner` contiguous elements. One thread per element of the gathered side
// (out for index_select, src for index_add), so consecutive threads touch consecutive memory on
// both sides. index_add may see an index twice, so it adds with atomicAdd (double atomicAdd is
// native on sm_60+); the order of those additions, hence float rounding, can vary run to run.
#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"

namespace ember {
namespace cuda_kernels {
namespace {

struct Dims {
  int64_t outer = 1, n = 1, inner = 1;
};

Dims split_at(const Tensor& t, int64_t dim) {
  Dims d;
  IntArrayRef s = t.sizes();
  for (int64_t i = 0; i < int64_t(s.size()); ++i) {
    if (i < dim) d.outer *= s[i];
    else if (i == dim) d.n = s[i];
    else d.inner *= s[i];
  }
  return d;
}

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int64_t* p, int64_t v) {
  // Two's complement: an unsigned add gives the signed sum.
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
__device__ __forceinline__ void atomic_add(bool* p, bool v) {
  if (v) *p = true;  // "or": every racing writer stores the same byte
}

/// out: (outer, count, inner) = in (outer, n, inner) at index[j]; index entries ix[j * ist].
template <typename T, typename Index>
__global__ void index_select_kernel(T* __restrict__ out, const T* __restrict__ in, const int64_t* __restrict__ ix,
                                    int64_t ist, Index count, Index n, Index inner, Index total) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index e = Index(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const Index i = e % inner, t = e / inner;
    const Index j = t % count, o = t / count;
    int64_t s = ix[int64_t(j) * ist];
    if (s < 0) s += int64_t(n);
    out[e] = in[(o * n + Index(s)) * inner + i];
  }
}

/// out (outer, n, inner) at index[j] += src (outer, count, inner).
template <typename T, typename Index>
__global__ void index_add_kernel(T* __restrict__ out, const T* __restrict__ src, const int64_t* __restrict__ ix,
                                 int64_t ist, Index count, Index n, Index inner, Index total) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index e = Index(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const Index i = e % inner, t = e / inner;
    const Index j = t % count, o = t / count;
    int64_t s = ix[int64_t(j) * ist];
    if (s < 0) s += int64_t(n);
    atomic_add(out + (o * n + Index(s)) * inner + i, src[e]);
  }
}

int64_t index_stride(const Tensor& index) { return index.dim() == 0 ? 0 : index.stride(0); }

/// 32-bit indexing when both sides fit.
bool fits32(const Dims& d, int64_t count) {
  return d.outer * d.n * d.inner <= kMax32 && d.outer * count * d.inner <= kMax32;
}

/// `t` itself when contiguous, else a contiguous copy made on the device.
Tensor contiguous_on_device(Backend& be, const Tensor& t) {
  if (t.is_contiguous()) return t;
  Tensor c = make_empty(t.sizes(), t.dtype(), t.device());
  be.copy(c, t);
  return c;
}

}  // namespace
}  // namespace cuda_kernels

void CudaBackend::index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  const Tensor src = contiguous_on_device(*this, in);
  const Dims d = split_at(src, dim);
  const int64_t count = index.numel(), total = d.outer * count * d.inner;
  const int64_t* ix = static_cast<const int64_t*>(index.raw_data_ptr());
  const int64_t ist = index_stride(index);
  dispatch_all(out.dtype(), "index_select", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.raw_data_ptr());
    const T* x = static_cast<const T*>(src.raw_data_ptr());
    if (fits32(d, count))
      index_select_kernel<T, uint32_t><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          o, x, ix, ist, uint32_t(count), uint32_t(d.n), uint32_t(d.inner), uint32_t(total));
    else
      index_select_kernel<T, uint64_t><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          o, x, ix, ist, uint64_t(count), uint64_t(d.n), uint64_t(d.inner), uint64_t(total));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  using namespace cuda_kernels;
  if (src.numel() == 0) return;
  const Tensor from = contiguous_on_device(*this, src);
  const Dims d = split_at(out, dim);
  const int64_t count = index.numel(), total = d.outer * count * d.inner;
  const int64_t* ix = static_cast<const int64_t*>(index.raw_data_ptr());
  const int64_t ist = index_stride(index);
  dispatch_all(out.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.raw_data_ptr());
    const T* s = static_cast<const T*>(from.raw_data_ptr());
    if (fits32(d, count))
      index_add_kernel<T, uint32_t><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          o, s, ix, ist, uint32_t(count), uint32_t(d.n), uint32_t(d.inner), uint32_t(total));
    else
      index_add_kernel<T, uint64_t><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          o, s, ix, ist, uint64_t(count), uint64_t(d.n), uint64_t(d.inner), uint64_t(total));
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

}  // namespace ember
