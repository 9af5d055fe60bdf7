// CPU gather / scatter over any strides (src/scatter_geometry.h), and nonzero.
//
// The index is walked in row-major order, one contiguous range of its elements per thread.
// gather writes each output element once, so any split is race-free. scatter may send two index
// elements to one destination only when they differ in the `dim` coordinate alone, so its walk
// puts `dim` innermost and cuts ranges at whole lines along it: no two threads touch one
// destination, and a destination's updates come in index order (Assign: the last one wins, as
// PyTorch's CPU kernel), so results are identical run to run.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>
#include <utility>
#include <vector>

#include "../dtype_dispatch.h"
#include "cpu_backend.h"

namespace ember {
namespace {

constexpr int64_t kScatterParallelMin = 32768;  // elements below which threads cost more than they save

/// The walk: sizes and the three operands' strides (index, self without `dim`, other), outermost
/// first, in the order the elements are visited.
struct Walk {
  int nd = 0;
  int64_t sizes[kMaxScatterDims];
  int64_t st[3][kMaxScatterDims];
};

Walk make_walk(const ScatterGeometry& g, bool dim_innermost) {
  Walk w;
  std::vector<int> order;
  for (int k = 0; k < g.ndim; ++k)
    if (!(dim_innermost && k == g.dim)) order.push_back(k);
  if (dim_innermost) order.push_back(g.dim);
  for (int k : order) {
    w.sizes[w.nd] = g.sizes[k];
    w.st[0][w.nd] = g.index_strides[k];
    w.st[1][w.nd] = g.self_strides[k];
    w.st[2][w.nd] = g.other_strides[k];
    ++w.nd;
  }
  return w;
}

/// Whether F has run(index offset, self offset, other offset, n): its own loop over a run of n
/// elements contiguous in index and other, at one self offset (gather's).
template <typename F, typename = void>
struct HasRun : std::false_type {};
template <typename F>
struct HasRun<F, std::void_t<decltype(std::declval<const F&>().run(0, 0, 0, 0))>> : std::true_type {};

/// f(index offset, self offset, other offset) for the elements [begin, end) of the walk.
template <typename F>
void walk_range(const Walk& w, int64_t begin, int64_t end, const F& shared_f) {
  const F f = shared_f;  // a private copy: its captured pointers stay in registers across the stores
  int64_t c[kMaxScatterDims];
  int64_t off[3] = {0, 0, 0};
  int64_t rem = begin;
  for (int k = w.nd - 1; k >= 0; --k) {
    c[k] = rem % w.sizes[k];
    rem /= w.sizes[k];
    for (int i = 0; i < 3; ++i) off[i] += c[k] * w.st[i][k];
  }
  const int last = w.nd - 1;
  const int64_t n_last = w.sizes[last], s0 = w.st[0][last], s1 = w.st[1][last], s2 = w.st[2][last];
  for (int64_t e = begin; e < end;) {
    const int64_t run = std::min(n_last - c[last], end - e);
    if (s0 == 1 && s1 == 0 && s2 == 1) {  // the common run: index and other contiguous along dim
      if constexpr (HasRun<F>::value) {
        f.run(off[0], off[1], off[2], run);
      } else {
        for (int64_t r = 0; r < run; ++r) f(off[0] + r, off[1], off[2] + r);
      }
    } else {
      for (int64_t r = 0; r < run; ++r) f(off[0] + r * s0, off[1] + r * s1, off[2] + r * s2);
    }
    e += run;
    c[last] += run;
    for (int i = 0; i < 3; ++i) off[i] += run * w.st[i][last];
    if (c[last] < n_last) continue;
    for (int i = 0; i < 3; ++i) off[i] -= n_last * w.st[i][last];
    c[last] = 0;
    for (int k = last - 1; k >= 0; --k) {
      ++c[k];
      for (int i = 0; i < 3; ++i) off[i] += w.st[i][k];
      if (c[k] < w.sizes[k]) break;
      for (int i = 0; i < 3; ++i) off[i] -= w.sizes[k] * w.st[i][k];
      c[k] = 0;
    }
  }
}

/// Runs the walk over all `numel` elements, in ranges cut at multiples of `align` when threaded.
template <typename F>
void walk_all(const Walk& w, int64_t numel, int64_t align, const F& f) {
  const int threads = get_num_threads();
  const int64_t units = numel / align;
  if (numel < kScatterParallelMin || units < 2 || threads <= 1 || omp_in_parallel()) {
    walk_range(w, 0, numel, f);
    return;
  }
  const int64_t chunks = std::min<int64_t>(threads, units);
  const int64_t per = (units + chunks - 1) / chunks;
#pragma omp parallel for num_threads(threads) schedule(static)
  for (int64_t ch = 0; ch < chunks; ++ch)
    walk_range(w, std::min(units, ch * per) * align, std::min(units, (ch + 1) * per) * align, f);
}

/// The kernels' own range check (src/scatter_geometry.h): value() gives the position along dim,
/// or -1 for a value out of range, which it notes (a relaxed atomic store: the flag only ever
/// goes from 0 to 1).
struct IndexCheck {
  uint64_t size = UINT64_MAX;  // unchecked: every value passes
  int64_t wrap = 0;
  int64_t* flag = nullptr;
  explicit IndexCheck(const ScatterGeometry& g) {
    if (g.out_of_range == nullptr) return;
    size = uint64_t(g.self_dim_size);
    wrap = g.wrap_negative ? g.self_dim_size : 0;
    flag = g.out_of_range;
  }
  int64_t value(int64_t v) const {
    v += v < 0 ? wrap : 0;
    if (uint64_t(v) < size) return v;
    if (flag != nullptr) __atomic_store_n(flag, int64_t(1), __ATOMIC_RELAXED);
    return -1;
  }
};

template <ScatterReduce Op, typename T>
inline void combine(T& dst, T v) {
  if constexpr (Op == ScatterReduce::Assign) dst = v;
  else if constexpr (Op == ScatterReduce::Sum) dst = T(dst + v);
  else if constexpr (Op == ScatterReduce::Prod) dst = T(dst * v);
  // NaN wins, as in PyTorch's amax / amin.
  else if constexpr (Op == ScatterReduce::Amax) dst = (v > dst || v != v) ? v : dst;
  else dst = (v < dst || v != v) ? v : dst;
}

/// gather's element: out[oo] = self[so + index value * sd]. A bad value reads position 0
/// instead (no branch around the load: the loads of a run stay independent); the caller throws
/// before the output is used. Held by value in each range (walk_range's private copy), so the
/// pointers stay in registers across the stores.
template <typename T>
struct GatherFn {
  const T* in;
  T* out;
  const int64_t* ix;
  int64_t sd;
  IndexCheck check;
  void operator()(int64_t io, int64_t so, int64_t oo) const {
    const int64_t v = check.value(ix[io]);
    out[oo] = in[so + (v < 0 ? 0 : v) * sd];
  }
  // A run: the range check's result is or-ed into one flag per run (no store per element), and
  // a contiguous dim (sd == 1) indexes without a multiply. Branch-free: a bad value is masked to
  // position 0 (v & -ok), not branched around (GCC made the select a branch), and the negative
  // wrap, which gather never asks for, costs nothing when it is off.
  void run(int64_t io, int64_t so, int64_t oo, int64_t n) const {
    bool bad = false;
    if (sd == 1 && check.wrap == 0) bad = run_loop<false, true>(io, so, oo, n);
    else if (sd == 1) bad = run_loop<true, true>(io, so, oo, n);
    else bad = run_loop<true, false>(io, so, oo, n);
    if (bad && check.flag != nullptr) __atomic_store_n(check.flag, int64_t(1), __ATOMIC_RELAXED);
  }
  template <bool Wrap, bool Unit>
  bool run_loop(int64_t io, int64_t so, int64_t oo, int64_t n) const {
    const int64_t* x = ix + io;
    const T* src = in + so;
    T* dst = out + oo;
    const uint64_t size = check.size;
    const int64_t wrap = check.wrap;
    bool bad = false;
    for (int64_t r = 0; r < n; ++r) {
      const int64_t v = Wrap ? x[r] + (x[r] < 0 ? wrap : 0) : x[r];
      const bool ok = uint64_t(v) < size;
      bad |= !ok;
      const int64_t at = v & -int64_t(ok);
      dst[r] = src[Unit ? at : at * sd];
    }
    return bad;
  }
};

}  // namespace

void CpuBackend::gather(const Tensor& other, const Tensor& self, const Tensor& index, const ScatterGeometry& g) {
  if (g.numel == 0) return;
  if (g.out_of_range != nullptr && g.self_dim_size == 0) {  // nothing to read: every value is bad
    *g.out_of_range = 1;
    return;
  }
  const Walk w = make_walk(g, false);
  const int64_t* ix = index.data_ptr<int64_t>();
  const int64_t sd = g.self_dim_stride;
  const IndexCheck check(g);
  dispatch_all(self.dtype(), "gather", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* in = static_cast<const T*>(self.data_ptr());
    T* out = static_cast<T*>(other.data_ptr());
    walk_all(w, g.numel, 1, GatherFn<T>{in, out, ix, sd, check});
  });
}

void CpuBackend::scatter(const Tensor& self, const Tensor& index, const Tensor& other, const ScatterGeometry& g,
                         ScatterReduce op) {
  if (g.numel == 0) return;
  const Walk w = make_walk(g, true);
  const int64_t* ix = index.data_ptr<int64_t>();
  const int64_t sd = g.self_dim_stride;
  const IndexCheck check(g);
  dispatch_all(self.dtype(), "scatter", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* out = static_cast<T*>(self.data_ptr());
    const T* src = static_cast<const T*>(other.data_ptr());
    dispatch_reduce(op, [&](auto op_tag) {
      walk_all(w, g.numel, g.sizes[g.dim], [out, src, ix, sd, check](int64_t io, int64_t so, int64_t oo) {
        const int64_t v = check.value(ix[io]);
        if (v >= 0) combine<decltype(op_tag)::value>(out[so + v * sd], src[oo]);
      });
    });
  });
}

void CpuBackend::nonzero(const Tensor& out, const Tensor& mask) {
  const int64_t n = mask.numel(), k = out.size(1);
  if (out.size(0) == 0) return;
  const bool* m = mask.data_ptr<bool>();
  int64_t* o = out.data_ptr<int64_t>();
  // Each thread counts its range, then writes from its prefix offset: the output stays in order.
  const int threads = n < kScatterParallelMin || omp_in_parallel() ? 1 : get_num_threads();
  std::vector<int64_t> counts(size_t(threads) + 1, 0);
  IntArrayRef sizes = mask.sizes();
#pragma omp parallel num_threads(threads)
  {
    // The ranges follow the team OpenMP actually gave (it may be smaller than asked for).
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t per = (n + team - 1) / team;
    const int64_t b = std::min(n, t * per), e = std::min(n, (t + 1) * per);
    int64_t c = 0;
    for (int64_t i = b; i < e; ++i) c += m[i];
    counts[size_t(t) + 1] = c;
#pragma omp barrier
#pragma omp single
    for (int i = 0; i < team; ++i) counts[size_t(i) + 1] += counts[size_t(i)];
    int64_t at = counts[size_t(t)];
    for (int64_t i = b; i < e; ++i) {
      if (!m[i]) continue;
      int64_t rem = i;
      for (int64_t d = k - 1; d >= 0; --d) {
        o[at * k + d] = rem % sizes[size_t(d)];
        rem /= sizes[size_t(d)];
      }
      ++at;
    }
  }
}

}  // namespace ember
