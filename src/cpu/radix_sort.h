#pragma once
// LSD radix sort of (key, position) pairs for the CPU sort of long rows: 8-bit digits, one
// counting pass for the histograms of the digits that are not the same for every key (small
// integers and narrow ranges skip most), then one stable scatter per such digit. Stable, so
// equal keys keep their positions' order: sort_rules' tie rule for free. O(n) against
// std::sort's O(n log n): the reason PyTorch's own CPU sort of a 1e7-element row is several
// times slower.
#include <cstdint>
#include <type_traits>
#include <vector>

#include "../sort_keys.h"

namespace ember {
namespace radix {

template <typename T>
using KeyOf = sort_rules::KeyOf<T>;

template <typename U>
struct Pair {
  U key;
  uint32_t pos;
};

/// Sorts in[0..n) (n < 2^32) ascending, or descending when `descending`, stably; writes the
/// positions to `pos_out` and the values to `val_out` (gathered from `in`). `buf` is scratch of
/// 2 n pairs.
template <typename T>
void sort_row(const T* in, int64_t n, bool descending, T* val_out, int64_t* pos_out, Pair<KeyOf<T>>* buf) {
  using U = KeyOf<T>;
  constexpr int kDigits = int(sizeof(U));
  if (n == 0) return;
  Pair<U>* a = buf;
  Pair<U>* b = a + n;
  // The keys first, with the bits in which any key differs from the first: a digit with none
  // is the same for every key, and its histogram and pass are skipped (int64 values of a narrow
  // range, unique's usual input, need 2 or 3 of 8).
  U differ = 0;
  const U first = descending ? U(~sort_rules::radix_key(in[0])) : sort_rules::radix_key(in[0]);
  for (int64_t i = 0; i < n; ++i) {
    const U k = descending ? U(~sort_rules::radix_key(in[i])) : sort_rules::radix_key(in[i]);
    a[i] = {k, uint32_t(i)};
    differ |= k ^ first;
  }
  int digits[kDigits] = {}, used = 0;
  for (int d = 0; d < kDigits; ++d)
    if ((differ >> (8 * d)) & 0xff) digits[used++] = d;
  std::vector<int64_t> count(size_t(used) * 256, 0);
  for (int64_t i = 0; i < n; ++i)
    for (int u = 0; u < used; ++u) ++count[size_t(u * 256 + int((a[i].key >> (8 * digits[u])) & 0xff))];
  for (int u = 0; u < used; ++u) {
    const int d = digits[u];
    int64_t* c = &count[size_t(u * 256)];
    int64_t sum = 0;
    for (int v = 0; v < 256; ++v) {
      const int64_t cv = c[v];
      c[v] = sum;
      sum += cv;
    }
    for (int64_t i = 0; i < n; ++i) b[c[(a[i].key >> (8 * d)) & 0xff]++] = a[i];
    std::swap(a, b);
  }
  for (int64_t i = 0; i < n; ++i) {
    pos_out[i] = a[i].pos;
    val_out[i] = in[a[i].pos];
  }
}

/// The same with scratch reused across calls.
template <typename T>
void sort_row(const T* in, int64_t n, bool descending, T* val_out, int64_t* pos_out, std::vector<Pair<KeyOf<T>>>& buf) {
  buf.resize(size_t(2 * n));
  sort_row(in, n, descending, val_out, pos_out, buf.data());
}

}  // namespace radix
}  // namespace ember
