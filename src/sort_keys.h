#pragma once
// The radix sorts' form of sort_rules::less (src/sort_rules.h): an unsigned key per value whose
// unsigned order is less()'s, shared by the CPU radix sort (src/cpu/radix_sort.h) and CUB's on
// CUDA (kernels/sort.cu). Kept out of sort_rules.h, which backend.h includes everywhere.
#include <cstdint>
#include <type_traits>

#include "sort_rules.h"

namespace ember {
namespace sort_rules {

/// The unsigned radix key type for a value type: 32 bits up to 4-byte values, else 64.
template <typename T>
using KeyOf = std::conditional_t<(sizeof(T) <= 4), uint32_t, uint64_t>;

/// The key: floats
/// with their sign bit flipped (every bit when negative), NaN the largest key and -0.0 the key
/// of 0.0 (they compare equal, so ties must stay in input order); signed integers with the sign
/// bit flipped.
template <typename T>
EMBER_HD KeyOf<T> radix_key(T v) {
  using U = KeyOf<T>;
  constexpr U kSign = U(1) << (sizeof(U) * 8 - 1);
  if constexpr (std::is_floating_point_v<T>) {
    static_assert(sizeof(T) == sizeof(U), "float keys are the value's bits");
    if (is_nan(v)) return ~U(0);
    union {
      T value;
      U bits;
    } pun;
    pun.value = v == T(0) ? T(0) : v;
    return (pun.bits & kSign) ? ~pun.bits : (pun.bits | kSign);
  } else if constexpr (std::is_signed_v<T>) {
    using S = std::make_signed_t<U>;
    return U(S(v)) ^ kSign;
  } else {
    return U(v);
  }
}

}  // namespace sort_rules
}  // namespace ember
