#pragma once
// The CPU kernel of masked_select (src/cpu/masked_select.cpp): each thread counts the true mask
// elements of its chunk, then copies its chunk's selected elements to their place after the
// chunks before it. Two passes over the mask and one over the values, against the composition
// the other backends run (nonzero's positions, then index_select: an int64 per selected element
// written and read back).
#include "ember/tensor.h"

namespace ember {
namespace cpu {

/// Whether masked_select() takes values of this dtype (any whose elements are 1, 2, 4 or 8 bytes).
bool masked_select_supports(ScalarType dtype);

/// The elements of the contiguous CPU tensor `values` where the contiguous bool `mask` (of as
/// many elements) is true, in order, as a 1-D tensor.
Tensor masked_select(const Tensor& values, const Tensor& mask);

}  // namespace cpu
}  // namespace ember
