#pragma once
// The CPU kernel of unique and unique_consecutive of values (src/cpu/unique.cpp): the radix sort
// of the keys, then one pass that reads the run starts, the inverse and the counts off the
// sorted values, instead of the six whole-tensor ops of the composition the other backends run
// (src/ops/unique.cpp). The results are the composition's, element for element.
#include <cstdint>
#include <tuple>

#include "ember/tensor.h"

namespace ember {
namespace cpu {

/// Whether unique_values() takes `flat`: a CPU tensor of a sortable dtype, short enough for the
/// radix sort's 32-bit positions.
bool unique_supports(const Tensor& flat);

/// The distinct values of the contiguous 1-D `flat` (n >= 1) in sorted order, or (sort_first
/// false) of its runs of equal neighbours; the run of each element (inverse, n; empty unless
/// asked for) and each run's length (counts; empty unless asked for). Equality is ==: every NaN
/// is a run of its own, and a run's value is its first element in the stable sorted order.
std::tuple<Tensor, Tensor, Tensor> unique_values(const Tensor& flat, bool sort_first, bool return_inverse,
                                                 bool return_counts);

}  // namespace cpu
}  // namespace ember
