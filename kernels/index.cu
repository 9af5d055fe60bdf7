// Indexing along one dim: index_select (gather slices) and index_add (scatter-add slices).
//
// Both view their tensors as (outer, n, inner) around `dim`, with the index of `count` entries
// selecting slices of `inner` contiguous elements. One thread per element of the gathered side
// (out for index_select, src for index_add), so consecutive threads touch consecutive memory on
// both sides. index_add may see an index twice, so it adds with atomicAdd (double atomicAdd is
// native on sm_60+); the order of those additions, hence float rounding, can vary run to run.
//
// Deterministic mode (ember::is_deterministic(), docs/determinism.md) for float and double:
// no atomics. Every destination element is read once, the source slices that map to it are
// added in index order (j = 0, 1, ...), and the sum is stored once: the CPU backend's order, so
// the bits even match the CPU's. Two variants find "the slices that map to it":
//   - short index (count <= kScanMaxCount, e.g. a DataLoader batch of 64 into 49000 rows): one
//     thread per element of src as in the atomic kernel; the thread of j only works if j is the
//     FIRST occurrence of its index (it scans ix[0..j)), and then walks ix[j..count) summing
//     every slice with the same index. O(count) reads of the (cached) index per thread, one
//     launch, no scratch memory.
//   - longer index: the (index, position) pairs are sorted by index with CUB's radix sort,
//     which is stable, so equal indices keep their positions in increasing order; the thread of
//     sorted entry k works if k starts a run of equal indices and sums the run's slices.
// int64 adds are exact (wrapping integer addition is associative) and bool's "or" is order-free,
// so those keep the atomic kernel in both modes.
#include <cub/device/device_radix_sort.cuh>

#include <type_traits>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "ember/determinism.h"

namespace ember {
namespace cuda_kernels {
namespace {

using Dims = SliceDims;

__device__ __forceinline__ void atomic_add(float* p, float v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(double* p, double v) { atomicAdd(p, v); }
__device__ __forceinline__ void atomic_add(int64_t* p, int64_t v) {
  // Two's complement: an unsigned add gives the signed sum.
  atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
}
__device__ __forceinline__ void atomic_add(bool* p, bool v) {
  if (v) *p = true;  // "or": every racing writer stores the same byte
}

/// The coordinates (o, j, i) of element e of an (outer, count, inner) space.
template <typename Index>
struct SliceCoord {
  Index o, j, i;
  __device__ __forceinline__ SliceCoord(Index e, Index count, Index inner)
      : o(e / inner / count), j(e / inner % count), i(e % inner) {}
};

template <typename Index>
__device__ __forceinline__ Index wrap_index(int64_t s, Index n) {
  return Index(s < 0 ? s + int64_t(n) : s);
}

/// One thread per element e of the gathered side, (outer, count, inner); its slice element is
/// (o, index[j], i) of the (outer, n, inner) side; index entries ix[j * ist].
///   Add = false (index_select): out (outer, count, inner) = in (outer, n, inner) at index[j]
///   Add = true (index_add):     out (outer, n, inner) at index[j] += in (outer, count, inner)
template <typename T, typename Index, bool Add>
__global__ void index_slices_kernel(T* __restrict__ out, const T* __restrict__ in, const int64_t* __restrict__ ix,
                                    int64_t ist, Index count, Index n, Index inner, Index total) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index e = Index(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const SliceCoord<Index> c(e, count, inner);
    const Index at = (c.o * n + wrap_index(ix[int64_t(c.j) * ist], n)) * inner + c.i;
    if constexpr (Add) atomic_add(out + at, in[e]);
    else out[e] = in[at];
  }
}

/// Index lengths up to this take the scan variant of the deterministic index_add, longer ones
/// the sort (see the header): at 128 a thread scans at most 128 cached int64s, a few
/// microseconds, which is about what the sort's extra launches cost.
constexpr int64_t kScanMaxCount = 128;

/// Deterministic index_add, short index. out (outer, n, inner) at index[j] += src (outer, count,
/// inner): the thread of src element (o, j, i) does the whole sum of destination (o, index[j], i)
/// when j is the first occurrence of index[j], and nothing otherwise.
template <typename T, typename Index>
__global__ void index_add_scan_kernel(T* __restrict__ out, const T* __restrict__ src, const int64_t* __restrict__ ix,
                                      int64_t ist, Index count, Index n, Index inner, Index total) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index e = Index(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const SliceCoord<Index> c(e, count, inner);
    const Index s = wrap_index(ix[int64_t(c.j) * ist], n);
    bool first = true;
    for (Index m = 0; m < c.j && first; ++m) first = wrap_index(ix[int64_t(m) * ist], n) != s;
    if (!first) continue;
    T* dst = out + (c.o * n + s) * inner + c.i;
    const T* from = src + c.o * count * inner + c.i;
    T acc = *dst;
    for (Index m = c.j; m < count; ++m)
      if (wrap_index(ix[int64_t(m) * ist], n) == s) acc += from[m * inner];
    *dst = acc;
  }
}

/// keys[j] = index[j] wrapped into [0, n);  pos[j] = j.  (count entries)
__global__ void index_keys_kernel(uint64_t* __restrict__ keys, uint64_t* __restrict__ pos,
                                  const int64_t* __restrict__ ix, int64_t ist, int64_t count, int64_t n) {
  for (int64_t j = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; j < count; j += int64_t(blockDim.x) * gridDim.x) {
    const int64_t s = ix[j * ist];
    keys[j] = uint64_t(s < 0 ? s + n : s);
    pos[j] = uint64_t(j);
  }
}

/// Deterministic index_add, sorted index: keys (count) ascending, pos (count) the position in
/// the index of each key, increasing within a run of equal keys. The thread of (o, k, i) sums
/// the run starting at sorted entry k (if one does) into out (outer, n, inner) at keys[k].
template <typename T, typename Index>
__global__ void index_add_sorted_kernel(T* __restrict__ out, const T* __restrict__ src,
                                        const uint64_t* __restrict__ keys, const uint64_t* __restrict__ pos,
                                        Index count, Index n, Index inner, Index total) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index e = Index(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += step) {
    const SliceCoord<Index> c(e, count, inner);  // c.j: the sorted entry k
    const Index k = c.j;
    const uint64_t key = keys[k];
    if (k > 0 && keys[k - 1] == key) continue;  // not the start of a run
    T* dst = out + (c.o * n + Index(key)) * inner + c.i;
    const T* from = src + c.o * count * inner + c.i;
    T acc = *dst;
    for (Index m = k; m < count && keys[m] == key; ++m) acc += from[Index(pos[m]) * inner];
    *dst = acc;
  }
}

int64_t index_stride(const Tensor& index) { return index.dim() == 0 ? 0 : index.stride(0); }

/// 32-bit indexing when both sides fit.
bool fits32(const Dims& d, int64_t count) {
  return d.outer * d.n * d.inner <= kMax32 && d.outer * count * d.inner <= kMax32;
}

/// Sorts the (index, position) pairs of `index` by index, stably, with CUB's radix sort over the
/// bits that [0, n) needs. `buf` holds 4 * count uint64: keys and positions, unsorted then
/// sorted; the sorted ones are buf + 2 * count (keys) and buf + 3 * count (positions).
void sort_index(uint64_t* buf, const Tensor& index, int64_t ist, int64_t count, int64_t n, Device device) {
  uint64_t* keys_in = buf;
  uint64_t* pos_in = buf + count;
  uint64_t* keys_out = buf + 2 * count;
  uint64_t* pos_out = buf + 3 * count;
  const cudaStream_t stream = current_stream();
  index_keys_kernel<<<grid_for(count), kBlockSize, 0, stream>>>(
      keys_in, pos_in, static_cast<const int64_t*>(index.data_ptr()), ist, count, n);
  EMBER_CUDA_LAUNCH_CHECK();
  int end_bit = 1;  // the bits of n - 1 (at least one: CUB wants a non-empty bit range)
  while (end_bit < 64 && (uint64_t(n - 1) >> end_bit) != 0) ++end_bit;
  size_t temp_bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, temp_bytes, keys_in, keys_out, pos_in, pos_out, count, 0,
                                                   end_bit, stream));
  // CUB's scratch, from the caching allocator; freed (stream-ordered) when this returns.
  Tensor temp = make_empty({int64_t((temp_bytes + 7) / 8) + 1}, kLong, device);
  EMBER_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp.data_ptr(), temp_bytes, keys_in, keys_out, pos_in, pos_out,
                                                   count, 0, end_bit, stream));
}

/// index_add without atomics (header): out (outer, n, inner) at index[j] += src (outer, count,
/// inner), contiguous.
template <typename T, typename Index>
void deterministic_index_add(T* out, const T* src, const Tensor& index, int64_t ist, const Dims& d, int64_t count,
                             Device device) {
  const int64_t total = d.outer * count * d.inner;
  if (count <= kScanMaxCount) {
    index_add_scan_kernel<T, Index><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
        out, src, static_cast<const int64_t*>(index.data_ptr()), ist, Index(count), Index(d.n), Index(d.inner),
        Index(total));
    EMBER_CUDA_LAUNCH_CHECK();
    return;
  }
  Tensor buf = make_empty({4 * count}, kLong, device);
  uint64_t* b = static_cast<uint64_t*>(buf.data_ptr());
  sort_index(b, index, ist, count, d.n, device);
  index_add_sorted_kernel<T, Index><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
      out, src, b + 2 * count, b + 3 * count, Index(count), Index(d.n), Index(d.inner), Index(total));
  EMBER_CUDA_LAUNCH_CHECK();
}

/// Launches index_slices_kernel over d (the (outer, n, inner) side) and `count` index entries,
/// in 32-bit index arithmetic when everything fits.
template <bool Add, typename T>
void launch_index_slices(T* out, const T* in, const int64_t* ix, int64_t ist, const Dims& d, int64_t count) {
  const int64_t total = d.outer * count * d.inner;
  if (fits32(d, count))
    index_slices_kernel<T, uint32_t, Add><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
        out, in, ix, ist, uint32_t(count), uint32_t(d.n), uint32_t(d.inner), uint32_t(total));
  else
    index_slices_kernel<T, uint64_t, Add><<<grid_for(total), kBlockSize, 0, current_stream()>>>(
        out, in, ix, ist, uint64_t(count), uint64_t(d.n), uint64_t(d.inner), uint64_t(total));
  EMBER_CUDA_LAUNCH_CHECK();
}

}  // namespace
}  // namespace cuda_kernels

// Both entries: out, in and src contiguous (src/backend.h).
void CudaBackend::index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  using namespace cuda_kernels;
  if (out.numel() == 0) return;
  const Dims d = split_at(in.sizes(), dim);
  const int64_t* ix = static_cast<const int64_t*>(index.data_ptr());
  dispatch_storage(out.dtype(), "index_select", [&](auto tag) {
    using T = typename decltype(tag)::type;
    launch_index_slices<false>(static_cast<T*>(out.data_ptr()), static_cast<const T*>(in.data_ptr()), ix,
                               index_stride(index), d, index.numel());
  });
}

void CudaBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  using namespace cuda_kernels;
  if (src.numel() == 0) return;
  const Dims d = split_at(out.sizes(), dim);
  const int64_t count = index.numel();
  const int64_t* ix = static_cast<const int64_t*>(index.data_ptr());
  const int64_t ist = index_stride(index);
  const bool deterministic = is_deterministic();
  dispatch_all(out.dtype(), "index_add", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());
    const T* s = static_cast<const T*>(src.data_ptr());
    if constexpr (std::is_floating_point_v<T>) {
      if (deterministic) {
        if (fits32(d, count)) deterministic_index_add<T, uint32_t>(o, s, index, ist, d, count, out.device());
        else deterministic_index_add<T, uint64_t>(o, s, index, ist, d, count, out.device());
        return;
      }
    }
    launch_index_slices<true>(o, s, ix, ist, d, count);
  });
}

}  // namespace ember
