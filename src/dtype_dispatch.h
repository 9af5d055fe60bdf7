#pragma once
// The only runtime dtype -> template switch in ember. Ops and kernels call
//   dispatch_all(dtype, "op", [&](auto tag) { using T = typename decltype(tag)::type; ... });
#include <cstdint>

#include "ember/error.h"
#include "ember/types.h"

namespace ember {

template <typename T> struct TypeTag { using type = T; };

template <typename F>
decltype(auto) dispatch_floating(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case kFloat: return f(TypeTag<float>{});
    case kDouble: return f(TypeTag<double>{});
    default: break;
  }
  throw Error(detail::str(op, ": expected a floating-point tensor (float32 or float64), got ", t));
}

template <typename F>
decltype(auto) dispatch_all(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case kFloat: return f(TypeTag<float>{});
    case kDouble: return f(TypeTag<double>{});
    case kLong: return f(TypeTag<int64_t>{});
    case kBool: return f(TypeTag<bool>{});
    default: break;
  }
  throw Error(detail::str(op, ": dtype ", t, " is not supported yet (float32, float64, int64, bool are)"));
}

/// Numeric dtypes (no bool): arithmetic ops promote bool to int64 before they get here.
template <typename F>
decltype(auto) dispatch_numeric(ScalarType t, const char* op, F&& f) {
  switch (t) {
    case kFloat: return f(TypeTag<float>{});
    case kDouble: return f(TypeTag<double>{});
    case kLong: return f(TypeTag<int64_t>{});
    default: break;
  }
  throw Error(detail::str(op, ": expected a numeric tensor (float32, float64 or int64), got ", t));
}

}  // namespace ember
