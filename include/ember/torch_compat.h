#pragma once
// The porting header: a LibTorch program that uses what ember covers builds against ember when
// `#include <torch/torch.h>` becomes `#include <ember/torch_compat.h>`, with no other change.
// It is optional and never included by ember itself, because it claims the names torch, at and
// c10 and LibTorch's macro names for the program that asks for them.
// <torch/torch.h> brings these standard headers in transitively; LibTorch programs rely on it.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "ember/ember.h"

namespace torch = ember;
namespace at = ember;  // the subset of ATen that ember covers is ember's tensor API
namespace c10 {
using Error = ::ember::Error;  // `catch (const c10::Error& e)` catches every ember error
using ::ember::InferenceMode;
using ::ember::IValue;
using ::ember::str;  // c10::str, as torch::str
using std::nullopt;
template <typename T>
using optional = std::optional<T>;
// The c10 spellings of the value types programs name directly.
using ::ember::ArrayRef;
using ::ember::Device;
using ::ember::DeviceType;
using ::ember::IntArrayRef;
using ::ember::kCPU;
using ::ember::kCUDA;
using ::ember::kStrided;
using ::ember::Layout;
using ::ember::Scalar;
using ::ember::ScalarType;
using ::ember::TensorOptions;
using ::ember::toString;
using string_view = std::string_view;
template <typename... T>
using variant = std::variant<T...>;
using std::get;
using std::holds_alternative;
using std::visit;

/// c10::irange(n) and irange(begin, end): the integers [begin, end) for a range-for loop, of the
/// end's type (empty when end <= begin).
template <typename I>
class integer_range {
 public:
  struct iterator {
    I value;
    I operator*() const { return value; }
    iterator& operator++() {
      ++value;
      return *this;
    }
    bool operator!=(const iterator& o) const { return value != o.value; }
    bool operator==(const iterator& o) const { return value == o.value; }
  };
  integer_range(I begin, I end) : begin_(begin), end_(end < begin ? begin : end) {}
  iterator begin() const { return {begin_}; }
  iterator end() const { return {end_}; }

 private:
  I begin_, end_;
};
template <typename B, typename E, std::enable_if_t<std::is_integral<B>::value && std::is_integral<E>::value, int> = 0>
integer_range<E> irange(B begin, E end) {
  return integer_range<E>(E(begin), end);
}
template <typename E, std::enable_if_t<std::is_integral<E>::value, int> = 0>
integer_range<E> irange(E end) {
  return integer_range<E>(E(0), end);
}
}  // namespace c10

// c10d: the process groups (c10d::ProcessGroupMPI::createProcessGroupMPI(), ProcessGroup::Work).
namespace c10d = ::ember::distributed;

#define TORCH_MODULE(Name) EMBER_MODULE(Name)
#define TORCH_MODULE_IMPL(Name, ImplType) EMBER_MODULE_IMPL(Name, ImplType)

namespace ember {
// torch::optional / torch::nullopt, as LibTorch code spells them (a dataset's size()).
using std::nullopt;
using std::optional;
/// at::IntList: ATen's old name of IntArrayRef.
using IntList = IntArrayRef;
/// at::_unsafe_view (a view without the checks LibTorch skips; ember's view checks) and
/// at::size(t, dim).
inline Tensor _unsafe_view(const Tensor& self, IntArrayRef size) { return self.view(size); }
inline int64_t size(const Tensor& self, int64_t dim) { return self.size(dim); }

namespace detail {
/// A check's message: the caller's text when it gave one, LibTorch's default otherwise.
inline std::string check_message(const char* fallback) { return fallback; }
template <typename... Args>
std::string check_message(const char*, const Args&... args) {
  return ::ember::detail::str(args...);  // qualified: ember::str is also found by ADL
}
}  // namespace detail
}  // namespace ember

/// TORCH_CHECK(cond, "message ", value, ...): a user-facing check (ember::Error, LibTorch's
/// c10::Error); without a message it says "Expected cond to be true, but got false.".
#define TORCH_CHECK(cond, ...)                                                                             \
  do {                                                                                                     \
    if (!(cond))                                                                                           \
      throw ::ember::Error(                                                                                \
          ::ember::detail::check_message("Expected " #cond " to be true, but got false.", ##__VA_ARGS__)); \
  } while (0)
/// TORCH_INTERNAL_ASSERT and AT_ASSERT: an invariant whose failure is a bug (EMBER_ASSERT).
#define TORCH_INTERNAL_ASSERT(cond, ...) EMBER_ASSERT(cond, ::ember::detail::check_message("", ##__VA_ARGS__))
#define AT_ASSERT(cond, ...) EMBER_ASSERT(cond, ::ember::detail::check_message("", ##__VA_ARGS__))

/// AT_ERROR(...): throws c10::Error with the arguments written into one message.
#define AT_ERROR(...) throw ::ember::Error(::ember::detail::str(__VA_ARGS__))
/// The typed checks (TORCH_CHECK_VALUE, _INDEX, _TYPE, _NOT_IMPLEMENTED) are TORCH_CHECK: ember
/// has one error type.
#define TORCH_CHECK_VALUE(cond, ...) TORCH_CHECK(cond, ##__VA_ARGS__)
#define TORCH_CHECK_INDEX(cond, ...) TORCH_CHECK(cond, ##__VA_ARGS__)
#define TORCH_CHECK_TYPE(cond, ...) TORCH_CHECK(cond, ##__VA_ARGS__)
#define TORCH_CHECK_NOT_IMPLEMENTED(cond, ...) TORCH_CHECK(cond, ##__VA_ARGS__)
/// TORCH_CHECK_EQ(a, b) ... TORCH_CHECK_GT: "Check failed: a == b (1 vs. 2). " and the message.
#define EMBER_COMPAT_CHECK_OP(a, b, op)                                                                 \
  TORCH_CHECK((a)op(b), "Check failed: " #a " " #op " " #b " (", (a), " vs. ", (b), "). ")
#define TORCH_CHECK_EQ(a, b) EMBER_COMPAT_CHECK_OP(a, b, ==)
#define TORCH_CHECK_NE(a, b) EMBER_COMPAT_CHECK_OP(a, b, !=)
#define TORCH_CHECK_LT(a, b) EMBER_COMPAT_CHECK_OP(a, b, <)
#define TORCH_CHECK_LE(a, b) EMBER_COMPAT_CHECK_OP(a, b, <=)
#define TORCH_CHECK_GT(a, b) EMBER_COMPAT_CHECK_OP(a, b, >)
#define TORCH_CHECK_GE(a, b) EMBER_COMPAT_CHECK_OP(a, b, >=)
/// Checked in debug builds only, as LibTorch's.
#ifdef NDEBUG
#define TORCH_INTERNAL_ASSERT_DEBUG_ONLY(...) \
  do {                                        \
  } while (0)
#else
#define TORCH_INTERNAL_ASSERT_DEBUG_ONLY(...) TORCH_INTERNAL_ASSERT(__VA_ARGS__)
#endif
/// TORCH_WARN(...): "Warning: <message>" on stderr, as LibTorch's default warning handler;
/// TORCH_WARN_ONCE prints it the first time the line runs.
#define TORCH_WARN(...) (std::cerr << "Warning: " << ::ember::detail::str(__VA_ARGS__) << std::endl)
#define TORCH_WARN_ONCE(...)                 \
  do {                                       \
    static bool ember_compat_warned = false; \
    if (!ember_compat_warned) {              \
      ember_compat_warned = true;            \
      TORCH_WARN(__VA_ARGS__);               \
    }                                        \
  } while (0)
#define C10_UNUSED __attribute__((__unused__))
/// TORCH_ARG(T, name): an option of an options struct (EMBER_ARG).
#define TORCH_ARG(T, name) EMBER_ARG(T, name)

/// AT_DISPATCH_FLOATING_TYPES(type, "name", [&] { ... scalar_t ... }) and
/// AT_DISPATCH_ALL_TYPES: the lambda once per dtype, with scalar_t that dtype's C++ type.
#define EMBER_COMPAT_DISPATCH_CASE(ENUM, CTYPE, ...) \
  case ::ember::ENUM: {                              \
    using scalar_t = CTYPE;                          \
    return __VA_ARGS__();                            \
  }
#define AT_DISPATCH_FLOATING_TYPES(TYPE, NAME, ...)                                                          \
  [&] {                                                                                                      \
    const ::ember::ScalarType ember_compat_type = (TYPE);                                                    \
    switch (ember_compat_type) {                                                                             \
      EMBER_COMPAT_DISPATCH_CASE(kFloat, float, __VA_ARGS__)                                                 \
      EMBER_COMPAT_DISPATCH_CASE(kDouble, double, __VA_ARGS__)                                               \
      default: AT_ERROR(NAME, " not implemented for '", ::ember::toString(ember_compat_type), "'");          \
    }                                                                                                        \
  }()
#define AT_DISPATCH_ALL_TYPES(TYPE, NAME, ...)                                                               \
  [&] {                                                                                                      \
    const ::ember::ScalarType ember_compat_type = (TYPE);                                                    \
    switch (ember_compat_type) {                                                                             \
      EMBER_COMPAT_DISPATCH_CASE(kFloat, float, __VA_ARGS__)                                                 \
      EMBER_COMPAT_DISPATCH_CASE(kDouble, double, __VA_ARGS__)                                               \
      EMBER_COMPAT_DISPATCH_CASE(kLong, int64_t, __VA_ARGS__)                                                \
      EMBER_COMPAT_DISPATCH_CASE(kInt, int32_t, __VA_ARGS__)                                                 \
      EMBER_COMPAT_DISPATCH_CASE(kShort, int16_t, __VA_ARGS__)                                               \
      EMBER_COMPAT_DISPATCH_CASE(kChar, int8_t, __VA_ARGS__)                                                 \
      EMBER_COMPAT_DISPATCH_CASE(kByte, uint8_t, __VA_ARGS__)                                                \
      default: AT_ERROR(NAME, " not implemented for '", ::ember::toString(ember_compat_type), "'");          \
    }                                                                                                        \
  }()
