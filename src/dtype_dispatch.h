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
/// takes them, the narrow integers (uint8, int8, int16, int32) where it moves data only; any
/// other dtype throws message().
template <bool WithLong, bool WithBool, bool WithNarrow, typename F, typename Message>
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
    case kByte:
      if constexpr (WithNarrow) return f(TypeTag<uint8_t>{});
      break;
    case kChar:
      if constexpr (WithNarrow) return f(TypeTag<int8_t>{});
      break;
    case kShort:
      if constexpr (WithNarrow) return f(TypeTag<int16_t>{});
      break;
    case kInt:
      if constexpr (WithNarrow) return f(TypeTag<int32_t>{});
      break;
    default: break;
  }
  throw Error(message());
}
}  // namespace detail

/// The dtype arithmetic kernels compute a tensor's values in: the narrow integers (uint8, int8,
/// int16, int32) in int64, every other dtype as itself. Front halves convert narrow operands,
/// compute, and store the result back in the narrow dtype: + - * and the comparisons give
/// LibTorch's values (integer arithmetic wraps modulo 2^bits either way), and each kernel is
/// compiled for four dtypes instead of eight.
inline ScalarType kernel_dtype(ScalarType t) {
  return t == kByte || t == kChar || t == kShort || t == kInt ? kLong : t;
}

/// Every dtype a tensor can hold, for kernels that only move or convert values (copy, fill,
/// index_select, pad, where, item).
template <typename F>
decltype(auto) dispatch_storage(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<true, true, true>(
      t, f, [&] { return detail::str(op, ": dtype ", t, " is not supported yet"); });
}

template <typename F>
decltype(auto) dispatch_floating(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<false, false, false>(
      t, f, [&] { return detail::str(op, ": expected a floating-point tensor (float32 or float64), got ", t); });
}

template <typename F>
decltype(auto) dispatch_all(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<true, true, false>(t, f, [&] {
    return detail::str(
        op, ": dtype ", t,
        " has no kernel here (float32, float64, int64, bool do; the front half computes narrow integers in int64)");
  });
}

/// Numeric dtypes (no bool): arithmetic ops promote bool to int64 before they get here.
template <typename F>
decltype(auto) dispatch_numeric(ScalarType t, const char* op, F&& f) {
  return detail::dispatch_dtype<true, false, false>(
      t, f, [&] { return detail::str(op, ": expected a numeric tensor (float32, float64 or int64), got ", t); });
}

}  // namespace ember
