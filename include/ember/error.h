#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

#include "ember/export.h"

namespace ember {

/// Every misuse of ember throws this: the message names the op, the shapes, dtypes and
/// devices involved, and the rule that was broken. ember never calls exit() or abort().
class EMBER_API Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
  /// c10::Error's accessors: ember's messages carry no backtrace, so both are what().
  const char* what_without_backtrace() const noexcept { return what(); }
  std::string msg() const { return what(); }
};

/// Thrown when a device allocation fails; the message states bytes requested, free and cached.
class EMBER_API OutOfMemoryError : public Error {
 public:
  explicit OutOfMemoryError(const std::string& what) : Error(what) {}
};

namespace detail {
inline void stream_all(std::ostringstream&) {}
template <typename T, typename... Rest>
void stream_all(std::ostringstream& os, const T& first, const Rest&... rest) {
  os << first;
  stream_all(os, rest...);
}
template <typename... Args>
std::string str(const Args&... args) {
  std::ostringstream os;
  stream_all(os, args...);
  return os.str();
}
}  // namespace detail
}  // namespace ember

/// EMBER_CHECK(cond, "op: ", "explanation ", shape, ...) throws ember::Error with the
/// concatenated message when cond is false.
#define EMBER_CHECK(cond, ...)                                            \
  do {                                                                    \
    if (!(cond)) throw ::ember::Error(::ember::detail::str(__VA_ARGS__)); \
  } while (0)

/// EMBER_ASSERT(cond, "what should hold ", value, ...) guards an invariant that ember itself has
/// already established (a backend's precondition that the front half checked, a backward's
/// shape): when it fails the bug is ember's, not the caller's, and the message says so and where.
/// Always on (a compare and a branch); it throws ember::Error like every check, so a bug surfaces
/// as an exception a program can report, never as an abort.
#define EMBER_ASSERT(cond, ...)                                                                                     \
  do {                                                                                                              \
    if (!(cond))                                                                                                    \
      throw ::ember::Error(::ember::detail::str("internal error in ember (a bug: please report it): ", __VA_ARGS__, \
                                                " [", #cond, " failed at ", __FILE__, ":", __LINE__, "]"));         \
  } while (0)
