#pragma once
// Device helpers shared by kernels/*.cu: launch configuration, the coalesced geometry of strided
// operands, the offset calculator that maps a linear element index to each operand's offset, and
// launch_elementwise, which runs one per-element functor over up to a few strided operands.
//
// Why this shape: every pointwise-like kernel (copy, cast, fill, unary, binary, where) is "for
// each element, read some operands at their offsets, write one". The host coalesces the shape
// once (size-1 dims dropped, dims merged where every operand steps through them as one), so most
// tensors become one contiguous run and take the fast path with no index arithmetic. Otherwise
// an OffsetCalc (at most kMaxDims dims, passed by value as a kernel argument) decodes the index
// with divisions, in 32-bit arithmetic whenever every offset fits, since 64-bit division costs
// several times more. Shapes with more than kMaxDims non-mergeable dims loop over the outer dims
// on the host, one launch per slice.
#include <cuda_runtime.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "cuda/context.h"
#include "geometry.h"
#include "tensor_impl.h"

namespace ember {
namespace cuda_kernels {

constexpr int kBlockSize = 256;
constexpr int kMaxDims = 8;                     // dims an OffsetCalc decodes
constexpr int kMaxHostDims = kMaxGeometryDims;  // coalesced dims (src/geometry.h)

/// Streaming multiprocessors of the current device (queried once per device).
inline int multiprocessor_count() {
  static std::atomic<int> cached[16] = {};
  int device = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&device));
  if (device < 16 && cached[device].load(std::memory_order_relaxed) > 0) return cached[device];
  int n = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&n, cudaDevAttrMultiProcessorCount, device));
  n = std::max(n, 1);
  if (device < 16) cached[device].store(n, std::memory_order_relaxed);
  return n;
}

/// Blocks for a grid-stride loop over n items with `block` threads each: enough for a few full
/// waves of resident blocks, never more than the items need.
inline unsigned grid_for(int64_t n, int block = kBlockSize) {
  const int64_t needed = (n + block - 1) / block;
  const int64_t waves = int64_t(multiprocessor_count()) * (2048 / block) * 4;
  return unsigned(std::max<int64_t>(1, std::min(needed, waves)));
}

inline cudaStream_t current_stream() { return cuda_detail::context().stream; }

constexpr int64_t kMax32 = std::numeric_limits<int32_t>::max();

// --- geometry ------------------------------------------------------------------------------------

/// Maps a linear (row-major) element index to N operand offsets. Dims are stored innermost
/// first. Index is uint32_t when every offset fits 31 bits, else uint64_t.
template <int N, typename Index>
struct OffsetCalc {
  int ndim;
  Index sizes[kMaxDims];
  Index strides[N][kMaxDims];

  __device__ __forceinline__ void get(Index linear, Index (&off)[N]) const {
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = 0;
#pragma unroll
    for (int d = 0; d < kMaxDims; ++d) {
      if (d == ndim) break;
      const Index i = linear % sizes[d];
      linear /= sizes[d];
#pragma unroll
      for (int k = 0; k < N; ++k) off[k] += i * strides[k][d];
    }
  }
};

// --- the pointwise map ---------------------------------------------------------------------------

/// The Op of every pointwise kernel (cast, fill, unary, binary, scalar, where): out = f(in...) per
/// element, operands (out, in...) of one shape. In... are the inputs' element types; their
/// pointers are kept untyped and cast back per element, so one struct serves any arity.
template <typename F, typename R, typename... In>
struct MapOp {
  static constexpr int N = 1 + int(sizeof...(In));
  F f;
  R* out;
  const void* in[sizeof...(In) > 0 ? sizeof...(In) : 1];

  template <typename I>
  __device__ __forceinline__ void operator()(const I (&off)[N]) const {
    apply(off, std::index_sequence_for<In...>{});
  }
  void shift(const int64_t (&b)[N]) {
    out += b[0];
    shift_inputs(b, std::index_sequence_for<In...>{});
  }

 private:
  template <typename I, size_t... K>
  __device__ __forceinline__ void apply(const I (&off)[N], std::index_sequence<K...>) const {
    out[off[0]] = f(static_cast<const In*>(in[K])[off[K + 1]]...);
  }
  template <size_t... K>
  void shift_inputs(const int64_t (&b)[N], std::index_sequence<K...>) {
    ((in[K] = static_cast<const In*>(in[K]) + b[K + 1]), ...);
  }
};

/// A MapOp writing out (dtype R) from the tensors `inputs` (of dtypes In...).
template <typename R, typename... In, typename F>
MapOp<F, R, In...> map_op(const F& f, const Tensor& out, std::initializer_list<const Tensor*> inputs) {
  MapOp<F, R, In...> op{f, static_cast<R*>(out.data_ptr()), {}};
  int k = 0;
  for (const Tensor* t : inputs) op.in[k++] = t->data_ptr();
  return op;
}

// --- the elementwise launcher ----------------------------------------------------------------------
// An Op is a copyable struct holding typed pointers with
//   template <typename I> __device__ void operator()(const I (&off)[N]) const;   // one element
//   void shift(const int64_t (&base)[N]);   // host: advance the pointers by element offsets

template <int N, typename Index, typename Op>
__global__ void __launch_bounds__(kBlockSize) elementwise_contiguous_kernel(Op op, Index n) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    Index off[N];
#pragma unroll
    for (int k = 0; k < N; ++k) off[k] = i;
    op(off);
  }
}

template <int N, typename Index, typename Op>
__global__ void __launch_bounds__(kBlockSize) elementwise_strided_kernel(Op op, OffsetCalc<N, Index> calc, Index n) {
  const Index step = Index(blockDim.x) * gridDim.x;
  for (Index i = Index(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    Index off[N];
    calc.get(i, off);
    op(off);
  }
}

template <int N, typename Index>
OffsetCalc<N, Index> make_calc(const Geometry<N>& g, int first, int ndim) {
  OffsetCalc<N, Index> c;
  c.ndim = ndim;
  for (int d = 0; d < ndim; ++d) {  // innermost first
    const int src = first + ndim - 1 - d;
    c.sizes[d] = Index(g.sizes[src]);
    for (int k = 0; k < N; ++k) c.strides[k][d] = Index(g.strides[k][src]);
  }
  for (int d = ndim; d < kMaxDims; ++d) {
    c.sizes[d] = 1;
    for (int k = 0; k < N; ++k) c.strides[k][d] = 0;
  }
  return c;
}

/// Runs op on every element of the (broadcast-free, same-shape) operands `ops`.
template <int N, typename Op>
void launch_elementwise(const Op& op, const std::array<const Tensor*, N>& ops) {
  const Geometry<N> g = make_geometry<N>(ops);
  if (g.numel == 0) return;
  for (int k = 0; k < N; ++k)  // offsets are unsigned on the device
    for (int d = 0; d < g.ndim; ++d)
      EMBER_CHECK(g.strides[k][d] >= 0, "cuda: negative stride ", g.strides[k][d], " in ", describe(*ops[k]),
                  " is not supported");
  const cudaStream_t stream = current_stream();
  if (g.contiguous()) {
    const int64_t n = g.numel;
    if (n <= kMax32)
      elementwise_contiguous_kernel<N, uint32_t><<<grid_for(n), kBlockSize, 0, stream>>>(op, uint32_t(n));
    else elementwise_contiguous_kernel<N, uint64_t><<<grid_for(n), kBlockSize, 0, stream>>>(op, uint64_t(n));
    EMBER_CUDA_LAUNCH_CHECK();
    return;
  }
  // The innermost kMaxDims dims go to the device; any outer ones are walked here.
  const int inner_dims = std::min(g.ndim, kMaxDims), first = g.ndim - inner_dims;
  int64_t inner_numel = 1;
  int64_t max_off[N] = {};
  for (int d = first; d < g.ndim; ++d) {
    inner_numel *= g.sizes[d];
    for (int k = 0; k < N; ++k) max_off[k] += (g.sizes[d] - 1) * g.strides[k][d];
  }
  bool fits32 = inner_numel <= kMax32;
  for (int k = 0; k < N; ++k) fits32 = fits32 && max_off[k] <= kMax32;
  const auto calc32 = make_calc<N, uint32_t>(g, first, inner_dims);
  const auto calc64 = make_calc<N, uint64_t>(g, first, inner_dims);
  const unsigned grid = grid_for(inner_numel);

  int64_t outer_numel = 1;
  for (int d = 0; d < first; ++d) outer_numel *= g.sizes[d];
  int64_t idx[kMaxHostDims] = {};
  for (int64_t o = 0; o < outer_numel; ++o) {
    int64_t base[N] = {};
    for (int d = 0; d < first; ++d)
      for (int k = 0; k < N; ++k) base[k] += idx[d] * g.strides[k][d];
    Op shifted = op;
    shifted.shift(base);
    if (fits32)
      elementwise_strided_kernel<N, uint32_t><<<grid, kBlockSize, 0, stream>>>(shifted, calc32, uint32_t(inner_numel));
    else
      elementwise_strided_kernel<N, uint64_t><<<grid, kBlockSize, 0, stream>>>(shifted, calc64, uint64_t(inner_numel));
    EMBER_CUDA_LAUNCH_CHECK();
    for (int d = first - 1; d >= 0; --d) {  // odometer over the outer dims
      if (++idx[d] < g.sizes[d]) break;
      idx[d] = 0;
    }
  }
}

// --- small device utilities ----------------------------------------------------------------------

template <typename T>
__device__ __forceinline__ bool is_nan(T x) {
  return x != x;  // false for integers and bool
}

/// __shfl_down_sync for the dtypes ember reduces (bool travels as int).
__device__ __forceinline__ float shfl_down(float v, int delta) { return __shfl_down_sync(0xffffffffu, v, delta); }
__device__ __forceinline__ double shfl_down(double v, int delta) { return __shfl_down_sync(0xffffffffu, v, delta); }
__device__ __forceinline__ int64_t shfl_down(int64_t v, int delta) {
  return int64_t(__shfl_down_sync(0xffffffffu, (long long)v, delta));
}
__device__ __forceinline__ bool shfl_down(bool v, int delta) {
  return __shfl_down_sync(0xffffffffu, int(v), delta) != 0;
}

}  // namespace cuda_kernels
}  // namespace ember
