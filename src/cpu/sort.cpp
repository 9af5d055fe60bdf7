// CPU sorting and selection: Backend::sort, topk, kthvalue, mode and searchsorted. Rows are
// independent, so OpenMP splits the rows between threads; a row is sorted by one thread, with
// the radix sort (radix_sort.h) from radix_min() elements and std::sort of (value, position)
// items below. Selection (topk, kthvalue, the medians) uses std::nth_element, O(n), instead of
// a full sort. Every comparison is sort_rules::before, so ties come out in input order.
#include <omp.h>

#include <algorithm>
#include <cstring>
#include <type_traits>
#include <vector>

#include "../dtype_dispatch.h"
#include "../sort_rules.h"
#include "cpu_backend.h"
#include "radix_sort.h"

namespace ember {
namespace {

using sort_rules::KthRule;

/// Rows at and above this length take the radix sort, whose cost grows with the key's bytes
/// (one pass each). Measured on a 2-core EPYC, rows of (value, position) items: float32 rows of
/// 256 sort 2x faster by radix than by std::sort, float64 rows break even at 256 and win from
/// 512; below that std::sort, in cache, wins.
template <typename T>
constexpr int64_t radix_min() {
  return 64 * int64_t(sizeof(T));
}
/// Elements below which waking threads costs more than it saves.
constexpr int64_t kSortParallelMin = 16384;

template <typename T>
struct Item {
  T v;
  int64_t pos;
};

/// sort_rules::before with the direction fixed at compile time.
template <typename T, bool Descending>
struct Before {
  bool operator()(const Item<T>& a, const Item<T>& b) const {
    return sort_rules::before(a.v, a.pos, b.v, b.pos, Descending);
  }
};

/// Runs f(row, scratch) for every row, threaded over rows when there is enough work; scratch is
/// one S per thread, reused across that thread's rows.
template <typename S, typename F>
void for_rows(int64_t rows, int64_t n, const F& f) {
  const int threads = rows < 2 || rows * n < kSortParallelMin || omp_in_parallel() ? 1 : get_num_threads();
  // Blocks of adjacent rows (about 8 per thread): balanced under uneven rows, and no two threads
  // writing neighbouring rows' short outputs (topk's k values) into one cache line.
  const int64_t block = std::max<int64_t>(1, rows / (int64_t(threads) * 8));
#pragma omp parallel num_threads(threads)
  {
    S scratch;
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < (rows + block - 1) / block; ++b)
      for (int64_t r = b * block; r < std::min(rows, (b + 1) * block); ++r) f(r, scratch);
  }
}

template <typename T>
void load(std::vector<Item<T>>& items, const T* row, int64_t n) {
  items.resize(size_t(n));
  for (int64_t i = 0; i < n; ++i) items[size_t(i)] = {row[i], i};
}

template <typename T, bool Descending>
void sort_items(std::vector<Item<T>>& items, int64_t from, int64_t to) {
  std::sort(items.begin() + from, items.begin() + to, Before<T, Descending>{});
}
template <typename T>
void sort_items(std::vector<Item<T>>& items, int64_t from, int64_t to, bool descending) {
  if (descending) sort_items<T, true>(items, from, to);
  else sort_items<T, false>(items, from, to);
}

template <typename T>
void select_items(std::vector<Item<T>>& items, int64_t nth, bool descending) {
  if (descending) std::nth_element(items.begin(), items.begin() + nth, items.end(), Before<T, true>{});
  else std::nth_element(items.begin(), items.begin() + nth, items.end(), Before<T, false>{});
}

template <typename T>
void store(const std::vector<Item<T>>& items, int64_t count, T* vals, int64_t* pos) {
  for (int64_t j = 0; j < count; ++j) {
    vals[j] = items[size_t(j)].v;
    pos[j] = items[size_t(j)].pos;
  }
}

/// topk with k at most n / kBufferRatio reads the row once against a threshold, the last of k
/// elements seen so far: most values lose and cost one (vectorised) comparison, against
/// nth_element's copy of the whole row into (value, position) items.
constexpr int64_t kBufferRatio = 16;

/// Whether value v, read after every element kept so far, comes before their last `last`:
/// only by value, since on a tie the earlier position (the kept one) wins.
template <typename T, bool Descending>
inline bool beats(T v, T last) {
  return Descending ? sort_rules::less(last, v) : sort_rules::less(v, last);
}

/// 16 bytes of T as one GCC/Clang vector (an attribute cannot apply to a dependent type).
template <typename T>
struct Vec16;
template <>
struct Vec16<float> {
  typedef float type __attribute__((vector_size(16)));
};
template <>
struct Vec16<double> {
  typedef double type __attribute__((vector_size(16)));
};

/// Whether any of v[0..m) beats `last`: beats() without branches, one comparison per element
/// once the NaN case of `last` is settled. Floats compare 16 bytes at a time in GCC/Clang
/// vector types (SSE2, the build's baseline): GCC leaves the scalar loop unvectorised.
template <typename T, bool Descending>
inline bool any_beats(const T* v, int64_t m, T last) {
  const bool nan_last = sort_rules::is_nan(last);
  if (Descending && nan_last) return false;  // nothing is above NaN
  if constexpr (std::is_floating_point_v<T>) {
    constexpr int64_t kLanes = 16 / int64_t(sizeof(T));
    using V = typename Vec16<T>::type;
    using M = decltype(V{} < V{});
    if (m % kLanes == 0) {
      const V l = V{} + last;
      M any = {};
      for (int64_t j = 0; j < m; j += kLanes) {
        V x;
        std::memcpy(&x, v + j, sizeof(V));
        if constexpr (Descending) any |= ~(x <= l);  // greater, or NaN
        else any |= nan_last ? (x == x) : (x < l);   // below NaN: every number
      }
      for (int64_t j = 0; j < kLanes; ++j)
        if (any[j]) return true;
      return false;
    }
  }
  int any = 0;
  for (int64_t j = 0; j < m; ++j) any |= int(beats<T, Descending>(v[j], last));
  return any != 0;
}

/// items[0..k) = the k first of row[0..n) in Descending's order, sorted. The values that beat
/// the threshold go to a buffer of 2 k (at least 32); when it fills, nth_element keeps its k
/// first and their last becomes the new threshold. A value that loses against a stale threshold
/// loses against k values already seen, so it can never be in the result. (Measured on rows of
/// 1000, k = 10: 3.2 us a row, against 3.8 for a heap of k that paid a pop and a push for each of
/// the ~k ln(n / k) winners; buffers of 4 k and 8 k were slower, their threshold staying stale
/// longer.)
template <typename T, bool Descending>
void buffer_select(std::vector<Item<T>>& items, const T* row, int64_t n, int64_t k) {
  const Before<T, Descending> before;
  // Most values lose: a block of kBlock is tested in one branch-free pass, and a block where one
  // wins is appended without branches too (every element written, the winners kept), since
  // which elements win is random and a branch on each would mispredict.
  constexpr int64_t kBlock = 16;
  const int64_t cap = std::max<int64_t>(2 * k, 32);
  items.resize(size_t(cap + kBlock));
  int64_t m = k;
  for (int64_t i = 0; i < k; ++i) items[size_t(i)] = {row[i], i};
  auto keep_k = [&] {
    std::nth_element(items.begin(), items.begin() + (k - 1), items.begin() + m, before);
    m = k;
  };
  keep_k();
  for (int64_t i = k; i < n;) {
    const int64_t end = std::min(n, i + kBlock);
    const T last = items[size_t(k - 1)].v;
    if (end - i == kBlock && !any_beats<T, Descending>(row + i, kBlock, last)) {
      i = end;
      continue;
    }
    for (; i < end; ++i) {
      items[size_t(m)] = {row[i], i};
      m += int64_t(beats<T, Descending>(row[i], last));
    }
    if (m >= cap) keep_k();  // room for the next block stays: m < cap + kBlock
  }
  keep_k();
  std::sort(items.begin(), items.begin() + k, before);
}

template <typename T>
struct SortScratch {
  std::vector<Item<T>> items;
  std::vector<radix::Pair<radix::KeyOf<T>>> pairs;
};

}  // namespace

void CpuBackend::sort(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                      bool descending) {
  dispatch_storage(in.dtype(), "sort", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    T* v = values.data_ptr<T>();
    int64_t* p = indices.data_ptr<int64_t>();
    for_rows<SortScratch<T>>(rows, n, [&](int64_t r, SortScratch<T>& s) {
      const int64_t at = r * n;
      if (n >= radix_min<T>() && n < (int64_t(1) << 32)) {
        radix::sort_row(x + at, n, descending, v + at, p + at, s.pairs);
        return;
      }
      load(s.items, x + at, n);
      sort_items(s.items, 0, n, descending);
      store(s.items, n, v + at, p + at);
    });
  });
}

void CpuBackend::topk(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n, int64_t k,
                      bool largest, bool sorted) {
  if (k == 0) return;
  dispatch_storage(in.dtype(), "topk", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    T* v = values.data_ptr<T>();
    int64_t* p = indices.data_ptr<int64_t>();
    for_rows<std::vector<Item<T>>>(rows, n, [&](int64_t r, std::vector<Item<T>>& items) {
      const T* row = x + r * n;
      if (k * kBufferRatio <= n) {
        if (largest) buffer_select<T, true>(items, row, n, k);
        else buffer_select<T, false>(items, row, n, k);
      } else {
        load(items, row, n);
        // The k first in order: select the k-th, which leaves the k - 1 before it in front.
        if (k < n) select_items(items, k - 1, largest);
        if (sorted) sort_items(items, 0, k, largest);
      }
      store(items, k, v + r * k, p + r * k);
    });
  });
}

void CpuBackend::kthvalue(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n,
                          int64_t k, KthRule rule) {
  dispatch_storage(in.dtype(), "kthvalue", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    T* v = values.data_ptr<T>();
    int64_t* p = indices.data_ptr<int64_t>();
    for_rows<std::vector<Item<T>>>(rows, n, [&](int64_t r, std::vector<Item<T>>& items) {
      const T* row = x + r * n;
      int64_t nans = 0;
      if (rule != KthRule::Fixed)
        for (int64_t i = 0; i < n; ++i) nans += sort_rules::is_nan(row[i]);
      const int64_t at = sort_rules::kth_position(rule, k, n, nans);
      load(items, row, n);
      select_items(items, at, false);
      v[r] = items[size_t(at)].v;
      p[r] = items[size_t(at)].pos;
    });
  });
}

void CpuBackend::mode(const Tensor& values, const Tensor& indices, const Tensor& in, int64_t rows, int64_t n) {
  dispatch_storage(in.dtype(), "mode", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* x = in.data_ptr<T>();
    T* v = values.data_ptr<T>();
    int64_t* p = indices.data_ptr<int64_t>();
    for_rows<std::vector<Item<T>>>(rows, n, [&](int64_t r, std::vector<Item<T>>& items) {
      load(items, x + r * n, n);
      sort_items(items, 0, n, false);
      // Runs of equal values in ascending order: the first longest run wins (the smallest value),
      // and its last item is its largest position. NaN != NaN: every NaN is a run of one.
      int64_t best = 0, best_end = 0;
      for (int64_t s = 0; s < n;) {
        int64_t e = s + 1;
        while (e < n && items[size_t(e)].v == items[size_t(s)].v) ++e;
        if (e - s > best) best = e - s, best_end = e;
        s = e;
      }
      v[r] = items[size_t(best_end - 1)].v;
      p[r] = items[size_t(best_end - 1)].pos;
    });
  });
}

void CpuBackend::searchsorted(const Tensor& out, const Tensor& seq, const Tensor& values, int64_t rows, int64_t n,
                              int64_t m, bool right) {
  dispatch_storage(values.dtype(), "searchsorted", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* s = seq.data_ptr<T>();
    const T* x = values.data_ptr<T>();
    const bool i32 = out.dtype() == kInt;
    int32_t* o32 = i32 ? out.data_ptr<int32_t>() : nullptr;
    int64_t* o64 = i32 ? nullptr : out.data_ptr<int64_t>();
    const int64_t total = rows * m;
    const int threads = total < kSortParallelMin || omp_in_parallel() ? 1 : get_num_threads();
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int64_t e = 0; e < total; ++e) {
      const int64_t pos = sort_rules::search_position(s + (e / m) * n, n, x[e], right);
      if (i32) o32[e] = int32_t(pos);
      else o64[e] = pos;
    }
  });
}

void CpuBackend::cumulative_count(const Tensor& out, const Tensor& flags) {
  const bool* f = flags.data_ptr<bool>();
  int64_t* o = out.data_ptr<int64_t>();
  const int64_t n = flags.numel();
  const int threads = n < kSortParallelMin || omp_in_parallel() ? 1 : get_num_threads();
  // Two passes: each thread counts its chunk, then writes its chunk's running count from the
  // sum of the chunks before it.
  std::vector<int64_t> before(size_t(threads) + 1, 0);
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    const int64_t lo = n * t / team, hi = n * (t + 1) / team;
    int64_t c = 0;
    for (int64_t j = lo; j < hi; ++j) c += f[j];
    before[size_t(t) + 1] = c;
#pragma omp barrier
#pragma omp single
    for (int i = 0; i < team; ++i) before[size_t(i) + 1] += before[size_t(i)];
    c = before[size_t(t)];
    for (int64_t j = lo; j < hi; ++j) o[j] = c += f[j];
  }
}

}  // namespace ember
