// CUDA sorting and selection: Backend::sort, topk, kthvalue, mode, searchsorted and
// cumulative_count. Every order is src/sort_rules.h's (NaN largest, ties by position).
//
// sort: rows up to kBitonicMax elements are sorted by one block each, a bitonic network in shared
// memory over (value, position) pairs padded to a power of two; the position tie-break makes the
// unstable network give the stable order. Longer rows go through CUB's segmented radix sort of
// sort_rules::radix_key (bit-inverted for descending), which is stable, with the positions as
// payload, then a gather of the values.
//
// topk, kthvalue, the medians and mode sort each row first (O(n log n) where the CPU selects in
// O(n)) and then read the sorted rows: the first k, the element at kth_position (the NaNs are at
// the end of an ascending row, so one thread per row counts them from the back), or the longest
// run of equal values (one thread per row walks its row).
#include <cub/device/device_scan.cuh>
#include <cub/device/device_segmented_radix_sort.cuh>

#include "common.cuh"
#include "cuda/cuda_backend.h"
#include "dtype_dispatch.h"
#include "sort_keys.h"

namespace ember {
namespace cuda_kernels {
namespace {

using sort_rules::KthRule;

constexpr int64_t kBitonicMax = 2048;  // elements: (8 + 4) * 2048 bytes of shared memory at most
constexpr int kBitonicThreads = 512;

int64_t next_pow2(int64_t n) {
  int64_t p = 1;
  while (p < n) p *= 2;
  return p;
}

/// One block per row: the row (n values, padded to p, a power of two) sorted in shared memory.
template <typename T>
__global__ void bitonic_sort_kernel(T* __restrict__ vals, int64_t* __restrict__ pos, const T* __restrict__ in, int n,
                                    int p, bool descending) {
  extern __shared__ unsigned long long shared_words[];  // 8-byte aligned for double
  T* sv = reinterpret_cast<T*>(shared_words);
  int* si = reinterpret_cast<int*>(sv + p);
  const int64_t row = blockIdx.x;
  const T* x = in + row * n;
  for (int i = threadIdx.x; i < p; i += blockDim.x) {
    sv[i] = i < n ? x[i] : T(0);
    si[i] = i;
  }
  __syncthreads();
  // Whether the element at slot a comes before the one at slot b; padding comes after all.
  auto first = [&](int a, int b) {
    const int ia = si[a], ib = si[b];
    if (ia >= n) return false;
    if (ib >= n) return true;
    return sort_rules::before(sv[a], int64_t(ia), sv[b], int64_t(ib), descending);
  };
  for (int size = 2; size <= p; size *= 2) {
    for (int stride = size / 2; stride > 0; stride /= 2) {
      for (int t = threadIdx.x; t < p / 2; t += blockDim.x) {
        const int i = (t / stride) * stride * 2 + t % stride, j = i + stride;
        const bool up = (i & size) == 0;
        if (up ? first(j, i) : first(i, j)) {
          const T v = sv[i];
          sv[i] = sv[j];
          sv[j] = v;
          const int s = si[i];
          si[i] = si[j];
          si[j] = s;
        }
      }
      __syncthreads();
    }
  }
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    vals[row * n + i] = sv[i];
    pos[row * n + i] = si[i];
  }
}

template <typename T, typename U>
__global__ void radix_keys_kernel(U* __restrict__ keys, int64_t* __restrict__ pos, const T* __restrict__ in,
                                  int64_t total, int64_t n, bool descending) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(blockDim.x) * gridDim.x) {
    const U k = sort_rules::radix_key(in[e]);
    keys[e] = descending ? U(~k) : k;
    pos[e] = e % n;
  }
}

__global__ void row_offsets_kernel(int64_t* __restrict__ offsets, int64_t rows, int64_t n) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r <= rows; r += int64_t(blockDim.x) * gridDim.x)
    offsets[r] = r * n;
}

/// vals[e] = in[row start + pos[e]].
template <typename T>
__global__ void gather_sorted_kernel(T* __restrict__ vals, const int64_t* __restrict__ pos, const T* __restrict__ in,
                                     int64_t total, int64_t n) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(blockDim.x) * gridDim.x)
    vals[e] = in[(e / n) * n + pos[e]];
}

/// Rows of at most 2^31 - 1 elements in all per CUB call: CUB counts items in int.
template <typename T>
void radix_sort_rows(T* vals, int64_t* pos, const T* in, int64_t rows, int64_t n, bool descending, Device device) {
  using U = sort_rules::KeyOf<T>;
  EMBER_CHECK(n <= kMax32, "sort: CUDA rows of more than 2^31 - 1 elements are not supported (got ", n, ")");
  const int64_t chunk = std::max<int64_t>(1, kMax32 / n);  // rows per CUB call
  const cudaStream_t stream = current_stream();
  for (int64_t r0 = 0; r0 < rows; r0 += chunk) {
    const int64_t nr = std::min(chunk, rows - r0), total = nr * n;
    const T* x = in + r0 * n;
    Tensor keys = make_empty({2 * total * int64_t(sizeof(U)) / 8 + 1}, kLong, device);
    Tensor ppos = make_empty({total}, kLong, device), offsets = make_empty({nr + 1}, kLong, device);
    U* k_in = static_cast<U*>(keys.data_ptr());
    U* k_out = k_in + total;
    int64_t* p_in = ppos.data_ptr<int64_t>();
    int64_t* p_out = pos + r0 * n;
    int64_t* off = offsets.data_ptr<int64_t>();
    radix_keys_kernel<<<grid_for(total), kBlockSize, 0, stream>>>(k_in, p_in, x, total, n, descending);
    EMBER_CUDA_LAUNCH_CHECK();
    row_offsets_kernel<<<grid_for(nr + 1), kBlockSize, 0, stream>>>(off, nr, n);
    EMBER_CUDA_LAUNCH_CHECK();
    size_t temp_bytes = 0;
    EMBER_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(nullptr, temp_bytes, k_in, k_out, p_in, p_out, int(total),
                                                              int(nr), off, off + 1, 0, int(sizeof(U) * 8), stream));
    // CUB's scratch, from the caching allocator; freed (stream-ordered) when this returns.
    Tensor temp = make_empty({int64_t((temp_bytes + 7) / 8) + 1}, kLong, device);
    EMBER_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairs(temp.data_ptr(), temp_bytes, k_in, k_out, p_in, p_out,
                                                              int(total), int(nr), off, off + 1, 0, int(sizeof(U) * 8),
                                                              stream));
    gather_sorted_kernel<<<grid_for(total), kBlockSize, 0, stream>>>(vals + r0 * n, p_out, x, total, n);
    EMBER_CUDA_LAUNCH_CHECK();
  }
}

template <typename T>
void sort_rows(T* vals, int64_t* pos, const T* in, int64_t rows, int64_t n, bool descending, Device device) {
  if (n <= kBitonicMax) {
    const int64_t p = next_pow2(n);
    const size_t shared = size_t(p) * (sizeof(T) + sizeof(int)) + 8;
    const int threads = int(std::min<int64_t>(kBitonicThreads, std::max<int64_t>(32, p / 2)));
    for (int64_t r0 = 0; r0 < rows; r0 += kMax32) {  // the grid's x dim holds 2^31 - 1 blocks
      const int64_t nr = std::min<int64_t>(kMax32, rows - r0);
      bitonic_sort_kernel<<<unsigned(nr), threads, shared, current_stream()>>>(vals + r0 * n, pos + r0 * n, in + r0 * n,
                                                                               int(n), int(p), descending);
      EMBER_CUDA_LAUNCH_CHECK();
    }
    return;
  }
  radix_sort_rows(vals, pos, in, rows, n, descending, device);
}

/// out (rows, k) = the first k columns of sorted (rows, n).
template <typename T>
__global__ void take_first_kernel(T* __restrict__ vals, int64_t* __restrict__ pos, const T* __restrict__ sv,
                                  const int64_t* __restrict__ sp, int64_t rows, int64_t n, int64_t k) {
  const int64_t total = rows * k;
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(blockDim.x) * gridDim.x) {
    const int64_t at = (e / k) * n + e % k;
    vals[e] = sv[at];
    pos[e] = sp[at];
  }
}

/// One thread per ascending row: the element at kth_position.
template <typename T>
__global__ void take_kth_kernel(T* __restrict__ vals, int64_t* __restrict__ pos, const T* __restrict__ sv,
                                const int64_t* __restrict__ sp, int64_t rows, int64_t n, int64_t k, KthRule rule) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += int64_t(blockDim.x) * gridDim.x) {
    const T* row = sv + r * n;
    int64_t nans = 0;
    if (rule != KthRule::Fixed)
      while (nans < n && sort_rules::is_nan(row[n - 1 - nans])) ++nans;
    const int64_t at = r * n + sort_rules::kth_position(rule, k, n, nans);
    vals[r] = sv[at];
    pos[r] = sp[at];
  }
}

/// One thread per ascending row: the first longest run of equal values, its last position.
template <typename T>
__global__ void take_mode_kernel(T* __restrict__ vals, int64_t* __restrict__ pos, const T* __restrict__ sv,
                                 const int64_t* __restrict__ sp, int64_t rows, int64_t n) {
  for (int64_t r = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; r < rows; r += int64_t(blockDim.x) * gridDim.x) {
    const T* row = sv + r * n;
    int64_t best = 0, best_end = 0;
    for (int64_t s = 0; s < n;) {
      int64_t e = s + 1;
      while (e < n && row[e] == row[s]) ++e;
      if (e - s > best) best = e - s, best_end = e;
      s = e;
    }
    vals[r] = row[best_end - 1];
    pos[r] = sp[r * n + best_end - 1];
  }
}

template <typename T, typename Out>
__global__ void searchsorted_kernel(Out* __restrict__ out, const T* __restrict__ seq, const T* __restrict__ x,
                                    int64_t total, int64_t n, int64_t m, bool right) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < total; e += int64_t(blockDim.x) * gridDim.x)
    out[e] = Out(sort_rules::search_position(seq + (e / m) * n, n, x[e], right));
}

__global__ void flags_to_long_kernel(int64_t* __restrict__ out, const bool* __restrict__ flags, int64_t n) {
  for (int64_t e = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; e < n; e += int64_t(blockDim.x) * gridDim.x)
    out[e] = flags[e] ? 1 : 0;
}

/// Sorted copies of in's rows: (values, positions), each (rows, n).
std::pair<Tensor, Tensor> sorted_rows(const Tensor& in, int64_t rows, int64_t n, bool descending) {
  Tensor sv = make_empty({rows, n}, in.dtype(), in.device()), sp = make_empty({rows, n}, kLong, in.device());
  dispatch_storage(in.dtype(), "sort", [&](auto tag) {
    using T = typename decltype(tag)::type;
    sort_rows(sv.data_ptr<T>(), sp.data_ptr<int64_t>(), in.data_ptr<T>(), rows, n, descending, in.device());
  });
  return {sv, sp};
}

}  // namespace
}  // namespace cuda_kernels

using namespace cuda_kernels;

void CudaBackend::sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                       bool descending) {
  dispatch_storage(in.dtype(), "sort", [&](auto tag) {
    using T = typename decltype(tag)::type;
    sort_rows(values.data_ptr<T>(), indices.data_ptr<int64_t>(), in.data_ptr<T>(), rows, n, descending, in.device());
  });
}

void CudaBackend::topk(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                       int64_t k, bool largest, bool sorted) {
  if (k == 0) return;
  Tensor sv, sp;  // not a structured binding: the lambda below captures them (C++17)
  std::tie(sv, sp) = sorted_rows(in, rows, n, largest);
  dispatch_storage(in.dtype(), "topk", [&](auto tag) {
    using T = typename decltype(tag)::type;
    take_first_kernel<<<grid_for(rows * k), kBlockSize, 0, current_stream()>>>(
        values.data_ptr<T>(), indices.data_ptr<int64_t>(), sv.data_ptr<T>(), sp.data_ptr<int64_t>(), rows, n, k);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::kthvalue(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                           int64_t k, KthRule rule) {
  Tensor sv, sp;  // not a structured binding: the lambda below captures them (C++17)
  std::tie(sv, sp) = sorted_rows(in, rows, n, false);
  dispatch_storage(in.dtype(), "kthvalue", [&](auto tag) {
    using T = typename decltype(tag)::type;
    take_kth_kernel<<<grid_for(rows), kBlockSize, 0, current_stream()>>>(
        values.data_ptr<T>(), indices.data_ptr<int64_t>(), sv.data_ptr<T>(), sp.data_ptr<int64_t>(), rows, n, k, rule);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::mode(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n) {
  Tensor sv, sp;  // not a structured binding: the lambda below captures them (C++17)
  std::tie(sv, sp) = sorted_rows(in, rows, n, false);
  dispatch_storage(in.dtype(), "mode", [&](auto tag) {
    using T = typename decltype(tag)::type;
    take_mode_kernel<<<grid_for(rows), kBlockSize, 0, current_stream()>>>(
        values.data_ptr<T>(), indices.data_ptr<int64_t>(), sv.data_ptr<T>(), sp.data_ptr<int64_t>(), rows, n);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::searchsorted(const Tensor& out, const Tensor& seq, const Tensor& values, int64_t rows, int64_t n,
                               int64_t m, bool right) {
  const int64_t total = rows * m;
  dispatch_storage(values.dtype(), "searchsorted", [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (out.dtype() == kInt)
      searchsorted_kernel<<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          out.data_ptr<int32_t>(), seq.data_ptr<T>(), values.data_ptr<T>(), total, n, m, right);
    else
      searchsorted_kernel<<<grid_for(total), kBlockSize, 0, current_stream()>>>(
          out.data_ptr<int64_t>(), seq.data_ptr<T>(), values.data_ptr<T>(), total, n, m, right);
    EMBER_CUDA_LAUNCH_CHECK();
  });
}

void CudaBackend::cumulative_count(const Tensor& out, const Tensor& flags) {
  const int64_t n = flags.numel();
  EMBER_CHECK(n <= kMax32, "unique: CUDA counts of more than 2^31 - 1 elements are not supported (got ", n, ")");
  Tensor ones = make_empty({n}, kLong, out.device());
  const cudaStream_t stream = current_stream();
  flags_to_long_kernel<<<grid_for(n), kBlockSize, 0, stream>>>(ones.data_ptr<int64_t>(), flags.data_ptr<bool>(), n);
  EMBER_CUDA_LAUNCH_CHECK();
  size_t temp_bytes = 0;
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, temp_bytes, ones.data_ptr<int64_t>(), out.data_ptr<int64_t>(),
                                                 int(n), stream));
  Tensor temp = make_empty({int64_t((temp_bytes + 7) / 8) + 1}, kLong, out.device());
  EMBER_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp.data_ptr(), temp_bytes, ones.data_ptr<int64_t>(),
                                                 out.data_ptr<int64_t>(), int(n), stream));
}

}  // namespace ember
