// CPU indexing along one dim: index_select (gather slices) and index_add (scatter-add slices).
//
// Both view their tensors as (outer, n, inner) around `dim`, so every selected slice is `inner`
// contiguous elements. index_add may see the same index twice, so its parallel split is over
// (outer, tile of inner) and each task walks the whole index in order: no two tasks touch one
// output element, and the order of additions (hence the rounding) is fixed.
#include <omp.h>

#include <algorithm>

#include "../dtype_dispatch.h"
#include "../geometry.h"
#include "cpu_backend.h"

namespace ember {
namespace {

// Elements moved below which waking threads costs more than it saves.
constexpr int64_t kIndexParallelMin = 32768;
constexpr int64_t kTile = 4096;  // inner elements one index_add task owns

using Dims = SliceDims;

/// body(begin, end) over [0, items), one contiguous chunk per thread when `work` is large.
template <typename Body>
void parallel_chunks(int64_t items, int64_t work, const Body& body) {
  const int threads = get_num_threads();
  if (work < kIndexParallelMin || items < 2 || threads <= 1 || omp_in_parallel()) {
    body(int64_t(0), items);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, items);
  const int64_t per = (items + chunks - 1) / chunks;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t c = 0; c < chunks; ++c) body(c * per, std::min(items, (c + 1) * per));
}

int64_t index_stride(const Tensor& index) { return index.dim() == 0 ? 0 : index.stride(0); }

template <typename T>
void select_slices(T* out, const T* in, const int64_t* ix, int64_t ist, Dims d, int64_t count) {
  const int64_t items = d.outer * count;
  parallel_chunks(items, items * d.inner, [&](int64_t begin, int64_t end) {
    int64_t o = begin / count, j = begin % count;
    for (int64_t it = begin; it < end; ++it) {
      int64_t s = ix[j * ist];
      if (s < 0) s += d.n;
      const T* src = in + (o * d.n + s) * d.inner;
      T* dst = out + it * d.inner;
      if (d.inner == 1) *dst = *src;
      else std::copy_n(src, d.inner, dst);
      if (++j == count) {
        j = 0;
        ++o;
      }
    }
  });
}

template <typename T>
void add_slices(T* out, const T* src, const int64_t* ix, int64_t ist, Dims d, int64_t count) {
  const int64_t tiles = (d.inner + kTile - 1) / kTile;
  parallel_chunks(d.outer * tiles, d.outer * count * d.inner, [&](int64_t begin, int64_t end) {
    for (int64_t it = begin; it < end; ++it) {
      const int64_t o = it / tiles, i0 = (it % tiles) * kTile, len = std::min(kTile, d.inner - i0);
      for (int64_t j = 0; j < count; ++j) {
        int64_t s = ix[j * ist];
        if (s < 0) s += d.n;
        T* dst = out + (o * d.n + s) * d.inner + i0;
        const T* from = src + (o * count + j) * d.inner + i0;
        if constexpr (std::is_same<T, bool>::value) {
          for (int64_t i = 0; i < len; ++i) dst[i] = dst[i] || from[i];
        } else {
          for (int64_t i = 0; i < len; ++i) dst[i] += from[i];
        }
      }
    }
  });
}

/// Calls body(out, other, index, index stride, d, count) typed for out's dtype: any dtype for a
/// body that only moves values (kMoves), the arithmetic kernels' dtypes otherwise.
template <bool kMoves, typename Body>
void run_slices(const char* op, const Tensor& out, const Tensor& other, const Dims& d, const Tensor& index, Body body) {
  if (out.numel() == 0 || other.numel() == 0) return;
  auto typed = [&](auto tag) {
    using T = typename decltype(tag)::type;
    body(static_cast<T*>(out.data_ptr()), static_cast<const T*>(other.data_ptr()), index.data_ptr<int64_t>(),
         index_stride(index), d, index.numel());
  };
  if constexpr (kMoves) dispatch_storage(out.dtype(), op, typed);
  else dispatch_all(out.dtype(), op, typed);
}

}  // namespace

// Both entries: out, in and src contiguous (src/backend.h), so every slice is `inner` elements.
void CpuBackend::index_select(const Tensor& out, const Tensor& in, int64_t dim, const Tensor& index) {
  // The slices are read from in: its (outer, n, inner).
  run_slices<true>("index_select", out, in, split_at(in.sizes(), dim), index,
                   [](auto* o, const auto* x, auto&&... rest) { select_slices(o, x, rest...); });
}

void CpuBackend::index_add(const Tensor& out, int64_t dim, const Tensor& index, const Tensor& src) {
  // The slices land in out: its (outer, n, inner).
  run_slices<false>("index_add", out, src, split_at(out.sizes(), dim), index,
                    [](auto* o, const auto* x, auto&&... rest) { add_slices(o, x, rest...); });
}

}  // namespace ember
