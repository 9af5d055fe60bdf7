#pragma once
// The only runtime dtype -> template switch in ember. Ops and kernels call
//   dispatch_all(dtype, "op", [&](auto tag) { using T = typename decltype(tag)::type; ... });
#include <cstdint>

#include "ember/error.h"
#include "ember/types.h"

namespace ember {

template <typename T>
struct TypeTag {
  using type = T;
};

namespace detail {
/// The switch itself, written once: float and double always, int64 and bool where the caller
/// takes them; any other dtype throws message().
template <bool WithLong, bool WithBool, typename F, typename Message>
decltype(auto) dispatch_dtype(ScalarType t, F&& f, Message&& message) {
  switch (t) {
    case kFloat: return f(TypeTag<float>{});
    case kDouble: return f(TypeTag<double>{});
    case kLong:
      if constexpr (WithLong) return f(TypeTag<int64_t>{});
      break;
    case kBool:
      if constexpr (WithBool) return f(TypeTag<bool>{});
      break;
    default: break;
  }
  throw Error(message());
}
}  // namespace detail

template <typename F>
decltype(auto) dispatch_floating(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<false, false>(
      t, f, [&] { return detail::str(op, ": expected a floating-point tensor (float32 or float64), got ", t); });
}

template <typename F>
decltype(auto) dispatch_all(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<true, true>(t, f, [&] {
    return detail::str(op, ": dtype ", t, " is not supported yet (float32, float64, int64, bool are)");
  });
}

/// Numeric dtypes (no bool): arithmetic ops promote bool to int64 before they get here.
template <typename F>
decltype(auto) dispatch_numeric(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<true, false>(
      t, f, [&] { return detail::str(op, ": expected a numeric tensor (float32, float64 or int64), got ", t); });
}

}  // namespace ember
