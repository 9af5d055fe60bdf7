#pragma once
// The rules of sorting and selection, written once for both backends (src/cpu/sort.cpp and
// kernels/sort.cu): the order (NaN is the largest value, as PyTorch; equal values keep their
// input order, so every kernel breaks ties by position), which sorted position kthvalue,
// median and nanmedian select, and the binary search of searchsorted.
#include <cstdint>
#include <type_traits>

#include "functors.h"  // EMBER_HD

namespace ember {
namespace sort_rules {

template <typename T>
EMBER_HD bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  else return false;
}

/// a sorts before b ascending: the ordinary < with NaN above everything (two NaNs are equal).
template <typename T>
EMBER_HD bool less(T a, T b) {
  return is_nan(b) ? !is_nan(a) : a < b;
}

/// Element (a, at position ia) comes before (b, ib): by value in the requested direction, then
/// by position, which makes any sort algorithm give the stable sort's order.
template <typename T>
EMBER_HD bool before(T a, int64_t ia, T b, int64_t ib, bool descending) {
  if (descending ? less(b, a) : less(a, b)) return true;
  if (descending ? less(a, b) : less(b, a)) return false;
  return ia < ib;
}

/// Which element of a row of n (nans of them NaN) kthvalue and the medians select, as a
/// position in the row's ascending (stable) order.
enum class KthRule {
  Fixed,      // kthvalue: position k (0-based)
  Median,     // the lower median, or the first NaN when there is one (PyTorch's median)
  NanMedian,  // the lower median of the non-NaN values; the first NaN when all are NaN
};
EMBER_HD int64_t kth_position(KthRule rule, int64_t k, int64_t n, int64_t nans) {
  switch (rule) {
    case KthRule::Fixed: return k;
    case KthRule::Median: return nans > 0 ? n - nans : (n - 1) / 2;
    case KthRule::NanMedian: return n == nans ? 0 : (n - nans - 1) / 2;
  }
  return k;
}

/// searchsorted's position of v in seq[0..n) (contiguous), PyTorch's search: the first i
/// with seq[i] >= v (right: seq[i] > v), written as !(>=) so that a NaN v goes to the end.
template <typename T>
EMBER_HD int64_t search_position(const T* seq, int64_t n, T v, bool right) {
  int64_t lo = 0, hi = n;
  while (lo < hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    const bool go_right = right ? !(seq[mid] > v) : !(seq[mid] >= v);
    if (go_right) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

}  // namespace sort_rules
}  // namespace ember
