#pragma once
// ember::str, LibTorch's c10::str (torch::str through the porting header): its arguments written
// one after another with operator<< into one string.
#include <string>

#include "ember/error.h"

namespace ember {

/// str("expected ", t.sizes(), " on ", t.device()) == "expected [2, 3] on cpu"; str() is "".
template <typename... Args>
std::string str(const Args&... args) {
  return detail::str(args...);
}
/// One argument that is already a string comes back as it is (no copy), as in LibTorch, so
/// `const char* s = str("text")` holds there too.
inline const char* str(const char* s) { return s; }
inline const std::string& str(const std::string& s) { return s; }

}  // namespace ember
