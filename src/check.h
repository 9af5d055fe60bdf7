#pragma once
// How argument checks word their messages, kept beside the checks (EMBER_CHECK, EMBER_ASSERT in
// ember/error.h) and inline, so validating an argument reads as one place: the tensor
// description every message uses and the dimension rule every dim argument follows.
#include <string>

#include "ember/error.h"
#include "ember/tensor.h"

namespace ember {

/// "[2, 3] float32 cpu": how every error message names a tensor.
inline std::string describe(const Tensor& t) {
  if (!t.defined()) return "undefined tensor";
  return detail::str(t.sizes(), " ", t.dtype(), " ", t.device());
}

/// The check every op makes of a tensor argument before reading it.
inline void check_defined(const char* op, const Tensor& t) {
  EMBER_CHECK(t.defined(), op, ": got an undefined tensor");
}

/// Wraps a dimension index, accepting -ndim..ndim-1 (a 0-dim tensor takes 0 and -1), with
/// LibTorch's message naming the op otherwise.
inline int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) {
  const int64_t n = ndim > 1 ? ndim : 1;
  EMBER_CHECK(dim >= -n && dim < n, op, ": dimension out of range (expected to be in range of [", -n, ", ", n - 1,
              "], but got ", dim, ")");
  return dim < 0 ? dim + n : dim;
}

}  // namespace ember
