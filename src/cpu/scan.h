#pragma once
// The CPU kernel of cumsum and cumprod (src/cpu/scan.cpp): one pass, as PyTorch's, instead of
// the log2(n) whole-tensor steps of the composition the other backends run (src/ops/reduce_extra.cpp).
#include <cstdint>

#include "ember/tensor.h"

namespace ember {
namespace cpu {

/// Whether scan() has a kernel for the dtype (float32, float64, int64).
bool scan_supports(ScalarType dtype);

/// out = the inclusive running sum (or product) of `in` along the middle dim of its (outer, n,
/// inner) view, from the first element, or with `reverse` from the last. Both contiguous, of one
/// dtype, on the CPU. Accumulates in double for floating types (PyTorch's CPU acc_type), so a
/// float32 result is the double scan rounded once per element, as PyTorch's.
void scan(const Tensor& out, const Tensor& in, int64_t outer, int64_t n, int64_t inner, bool product, bool reverse);

}  // namespace cpu
}  // namespace ember
