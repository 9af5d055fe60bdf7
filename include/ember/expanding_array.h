#pragma once
// ExpandingArray<D>: D integers given either as one value (repeated D times) or as exactly D
// values, as LibTorch's option structs take kernel sizes, strides and paddings:
// Conv2dFuncOptions().stride(2) and .stride({2, 1}) both work.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <ostream>
#include <vector>

#include "ember/error.h"
#include "ember/types.h"

namespace ember {

template <size_t D, typename T = int64_t>
class ExpandingArray {
 public:
  ExpandingArray(T single) { values_.fill(single); }                                        // NOLINT
  ExpandingArray(std::initializer_list<T> values) : ExpandingArray(ArrayRef<T>(values)) {}  // NOLINT
  ExpandingArray(const std::vector<T>& values) : ExpandingArray(ArrayRef<T>(values)) {}     // NOLINT
  ExpandingArray(ArrayRef<T> values) {                                                      // NOLINT
    EMBER_CHECK(values.size() == D, "ExpandingArray: expected ", D, " values, but got ", values.size());
    for (size_t i = 0; i < D; ++i) values_[i] = values[i];
  }
  ExpandingArray(const std::array<T, D>& values) : values_(values) {}  // NOLINT

  std::array<T, D>& operator*() { return values_; }
  const std::array<T, D>& operator*() const { return values_; }
  std::array<T, D>* operator->() { return &values_; }
  const std::array<T, D>* operator->() const { return &values_; }
  T operator[](size_t i) const { return values_[i]; }
  operator ArrayRef<T>() const { return ArrayRef<T>(values_.data(), D); }  // NOLINT
  size_t size() const noexcept { return D; }

 private:
  std::array<T, D> values_;
};

template <size_t D, typename T>
std::ostream& operator<<(std::ostream& os, const ExpandingArray<D, T>& a) {
  // As LibTorch's: one value prints bare (Conv1d's "kernel_size=3"), more as a list ("[3, 3]").
  if (D == 1) return os << a[0];
  return os << ArrayRef<T>(a);
}

}  // namespace ember
