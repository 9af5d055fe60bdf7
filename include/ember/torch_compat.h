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
#include <tuple>
#include <unordered_map>
#include <utility>
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
}  // namespace c10

// c10d: the process groups (c10d::ProcessGroupMPI::createProcessGroupMPI(), ProcessGroup::Work).
namespace c10d = ::ember::distributed;

#define TORCH_MODULE(Name) EMBER_MODULE(Name)
#define TORCH_MODULE_IMPL(Name, ImplType) EMBER_MODULE_IMPL(Name, ImplType)

namespace ember {
// torch::optional / torch::nullopt, as LibTorch code spells them (a dataset's size()).
using std::nullopt;
using std::optional;

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
