// masked_select on the CPU (masked_select.h). The copy moves elements as unsigned integers of
// their size: it never looks at the values, so one instantiation serves every dtype of a size.
#include "masked_select.h"

#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "../tensor_impl.h"

namespace ember {
namespace cpu {
namespace {

constexpr int64_t kMaskedSelectParallelMin = 65536;  // elements below which threads cost more than they save

/// out[0..) = the x[lo..hi) whose mask is true; `count` of them (the chunk's count).
template <typename U>
void compact(const U* x, const bool* m, int64_t lo, int64_t count, U* out) {
  // Branch-free (a random mask would mispredict every other element): every element is written
  // at the next free place, which only a true one then takes. The place stays inside the chunk's
  // own output while fewer than `count` are taken, and the elements after the last true one
  // need no visit.
  int64_t k = 0;
  for (int64_t j = lo; k < count; ++j) {
    out[k] = x[j];
    k += int64_t(m[j]);
  }
}

template <typename U>
void select(const Tensor& values, const Tensor& mask, Tensor& out) {
  const int64_t n = mask.numel();
  const U* x = static_cast<const U*>(values.data_ptr());
  const bool* m = mask.data_ptr<bool>();
  const int threads = n < kMaskedSelectParallelMin || omp_in_parallel() ? 1 : get_num_threads();
  std::vector<int64_t> before(size_t(threads) + 1, 0);  // selected elements before each chunk
  auto chunk = [&](int t, int team, int64_t& lo, int64_t& hi) {
    lo = n * t / team;
    hi = n * (t + 1) / team;
  };
  int team_size = 1;
#pragma omp parallel num_threads(threads)
  {
    const int t = omp_get_thread_num(), team = omp_get_num_threads();
    int64_t lo, hi, c = 0;
    chunk(t, team, lo, hi);
    for (int64_t j = lo; j < hi; ++j) c += int64_t(m[j]);
    before[size_t(t) + 1] = c;
    if (t == 0) team_size = team;
  }
  for (int i = 0; i < team_size; ++i) before[size_t(i) + 1] += before[size_t(i)];
  // Allocated between the passes, outside any parallel region, so that running out of memory
  // throws as anywhere else.
  out = make_empty({before[size_t(team_size)]}, values.dtype(), kCPU);
  U* o = static_cast<U*>(out.data_ptr());
#pragma omp parallel num_threads(team_size)
  {
    // The count's chunks, shared out again: this team may be smaller than the first one.
    for (int t = omp_get_thread_num(); t < team_size; t += omp_get_num_threads()) {
      int64_t lo, hi;
      chunk(t, team_size, lo, hi);
      compact(x, m, lo, before[size_t(t) + 1] - before[size_t(t)], o + before[size_t(t)]);
    }
  }
}

}  // namespace

bool masked_select_supports(ScalarType dtype) {
  const size_t size = element_size(dtype);
  return size == 1 || size == 2 || size == 4 || size == 8;
}

Tensor masked_select(const Tensor& values, const Tensor& mask) {
  Tensor out;
  switch (element_size(values.dtype())) {
    case 1: select<uint8_t>(values, mask, out); break;
    case 2: select<uint16_t>(values, mask, out); break;
    case 4: select<uint32_t>(values, mask, out); break;
    default: select<uint64_t>(values, mask, out); break;
  }
  return out;
}

}  // namespace cpu
}  // namespace ember
