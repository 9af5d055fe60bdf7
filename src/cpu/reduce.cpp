// CPU reductions over the middle dim of a contiguous (outer, k, inner) tensor: Sum, Mean, Max, Min
// (Max/Min optionally with the int64 index of the extreme along k).
//
// Two memory layouts, both read sequentially:
//  - inner == 1 (reducing rows): each output is a contiguous run of k values. Sums use eight
//    independent accumulators, which hides the add latency and lets the compiler use vector adds.
//    Long rows are cut into fixed blocks of kBlock values, reduced in parallel and combined in
//    order, so a full-tensor sum uses every thread.
//  - inner > 1 (reducing columns): the k loop is outer and a tile of up to kTile outputs is
//    innermost, so each step reads one contiguous stretch of a row into a vector of accumulators.
// float32 sums accumulate in double. All splits depend on the shape only, never on the thread
// count, so results are the same for any number of threads.
//
// Max/Min follow PyTorch: the first occurrence of the extreme wins, and NaN counts as the
// extreme (the first NaN and its index are reported).
#include <omp.h>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <vector>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

// Elements read below which waking threads costs more than it saves.
constexpr int64_t kReduceParallelMin = 32768;
constexpr int64_t kBlock = 16384;  // values of one row reduced by one task
constexpr int64_t kTile = 1024;    // outputs one column task accumulates at once

template <typename T>
using Acc = std::conditional_t<std::is_same<T, float>::value, double, T>;

// False for integers and bool.
template <typename T>
bool is_nan(T x) {
  return x != x;
}

/// Runs body(i) for i in [0, items); in parallel when `work` (elements read) is large.
template <typename Body>
void parallel_items(int64_t items, int64_t work, const Body& body) {
  if (work < kReduceParallelMin || items < 2 || get_num_threads() <= 1 || omp_in_parallel()) {
    for (int64_t i = 0; i < items; ++i) body(i);
    return;
  }
#pragma omp parallel for num_threads(get_num_threads()) schedule(static)
  for (int64_t i = 0; i < items; ++i) body(i);
}

// --- Sum and Mean ------------------------------------------------------------------------------

template <typename T>
Acc<T> sum_run(const T* p, int64_t n) {
  using A = Acc<T>;
  A a[8] = {};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int j = 0; j < 8; ++j) a[j] += A(p[i + j]);
  A tail = 0;
  for (; i < n; ++i) tail += A(p[i]);
  return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])) + tail;
}

template <typename T>
void sum_mean(bool mean, T* out, const T* in, int64_t outer, int64_t k, int64_t inner) {
  using A = Acc<T>;
  // Mean divides in double: exact enough for float, and never an integer division by zero.
  auto finish = [mean, k](A acc) { return mean ? T(double(acc) / double(k)) : T(acc); };
  const int64_t work = outer * k * inner;

  if (inner == 1) {
    if (k <= kBlock) {
      parallel_items(outer, work, [&](int64_t r) { out[r] = finish(sum_run(in + r * k, k)); });
      return;
    }
    const int64_t nb = (k + kBlock - 1) / kBlock;
    std::vector<A> part(size_t(outer * nb));
    parallel_items(outer * nb, work, [&](int64_t it) {
      const int64_t r = it / nb, start = (it % nb) * kBlock;
      part[size_t(it)] = sum_run(in + r * k + start, std::min(kBlock, k - start));
    });
    for (int64_t r = 0; r < outer; ++r) {
      A acc = 0;
      for (int64_t b = 0; b < nb; ++b) acc += part[size_t(r * nb + b)];
      out[r] = finish(acc);
    }
    return;
  }

  const int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_items(outer * tiles, work, [&](int64_t it) {
    const int64_t o = it / tiles, i0 = (it % tiles) * kTile, len = std::min(kTile, inner - i0);
    A acc[kTile];
    std::fill_n(acc, len, A(0));
    const T* base = in + o * k * inner + i0;
    for (int64_t j = 0; j < k; ++j) {
      const T* row = base + j * inner;
      for (int64_t i = 0; i < len; ++i) acc[i] += A(row[i]);
    }
    T* po = out + o * inner + i0;
    for (int64_t i = 0; i < len; ++i) po[i] = finish(acc[i]);
  });
}

// --- Max and Min -------------------------------------------------------------------------------

/// Whether x replaces the current extreme v: strictly better (so ties keep the first), or the
/// first NaN.
template <bool IsMax, typename T>
bool replaces(T x, T v) {
  return (IsMax ? x > v : x < v) || (is_nan(x) && !is_nan(v));
}

template <typename T>
struct Extreme {
  T value;
  int64_t index;
};

/// The extreme of n >= 1 contiguous values; index relative to p.
template <bool IsMax, typename T>
Extreme<T> extreme_run(const T* p, int64_t n) {
  Extreme<T> e{p[0], 0};
  if (is_nan(e.value)) return e;
  for (int64_t i = 1; i < n; ++i) {
    if (replaces<IsMax>(p[i], e.value)) {
      e = {p[i], i};
      if (is_nan(e.value)) break;  // nothing replaces a NaN
    }
  }
  return e;
}

template <bool IsMax, typename T>
void extreme(T* out, int64_t* idx, const T* in, int64_t outer, int64_t k, int64_t inner) {
  const int64_t work = outer * k * inner;

  if (inner == 1) {
    if (k <= kBlock) {
      parallel_items(outer, work, [&](int64_t r) {
        const Extreme<T> e = extreme_run<IsMax>(in + r * k, k);
        out[r] = e.value;
        if (idx) idx[r] = e.index;
      });
      return;
    }
    const int64_t nb = (k + kBlock - 1) / kBlock;
    std::vector<Extreme<T>> part(size_t(outer * nb));
    parallel_items(outer * nb, work, [&](int64_t it) {
      const int64_t r = it / nb, start = (it % nb) * kBlock;
      Extreme<T> e = extreme_run<IsMax>(in + r * k + start, std::min(kBlock, k - start));
      e.index += start;
      part[size_t(it)] = e;
    });
    for (int64_t r = 0; r < outer; ++r) {
      // Blocks are combined in order, so the earlier block keeps ties.
      Extreme<T> e = part[size_t(r * nb)];
      for (int64_t b = 1; b < nb; ++b) {
        const Extreme<T>& c = part[size_t(r * nb + b)];
        if (replaces<IsMax>(c.value, e.value)) e = c;
      }
      out[r] = e.value;
      if (idx) idx[r] = e.index;
    }
    return;
  }

  const int64_t tiles = (inner + kTile - 1) / kTile;
  parallel_items(outer * tiles, work, [&](int64_t it) {
    const int64_t o = it / tiles, i0 = (it % tiles) * kTile, len = std::min(kTile, inner - i0);
    const T* base = in + o * k * inner + i0;
    T* po = out + o * inner + i0;
    // The extremes are built in place in out; their indices in a local tile.
    int64_t at[kTile];
    std::copy_n(base, len, po);
    std::fill_n(at, len, int64_t(0));
    for (int64_t j = 1; j < k; ++j) {
      const T* row = base + j * inner;
      for (int64_t i = 0; i < len; ++i) {
        if (replaces<IsMax>(row[i], po[i])) {
          po[i] = row[i];
          at[i] = j;
        }
      }
    }
    if (idx) std::copy_n(at, len, idx + o * inner + i0);
  });
}

}  // namespace

void CpuBackend::reduce(ReduceOp op, const Tensor& out, const Tensor& indices, const Tensor& in, int64_t outer,
                        int64_t k, int64_t inner) {
  // The front half (src/ops/reduce.cpp) guards dtypes, k == 0 and empty outputs.
  dispatch_all(in.dtype(), "reduce", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* o = static_cast<T*>(out.data_ptr());
    const T* x = static_cast<const T*>(in.data_ptr());
    if (op == ReduceOp::Max || op == ReduceOp::Min) {
      int64_t* ix = indices.defined() ? indices.data_ptr<int64_t>() : nullptr;
      if (op == ReduceOp::Max) extreme<true>(o, ix, x, outer, k, inner);
      else extreme<false>(o, ix, x, outer, k, inner);
    } else if constexpr (!std::is_same<T, bool>::value) {
      sum_mean(op == ReduceOp::Mean, o, x, outer, k, inner);
    }
  });
}

}  // namespace ember
