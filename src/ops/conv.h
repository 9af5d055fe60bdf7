#pragma once
// The pieces of conv2d's front half (src/ops/conv.cpp) that the transposed convolutions
// (src/ops/conv_transpose.cpp) reuse: a transposed convolution is conv2d's input gradient, so its
// own gradients are a plain convolution and conv2d's weight gradient, both already written here.
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "common.h"

namespace ember {
namespace conv_detail {

/// stride, padding and dilation, (height, width) each, as the user gave them.
struct ConvParams {
  int64_t stride[2] = {1, 1}, padding[2] = {0, 0}, dilation[2] = {1, 1};
};

/// "(h, w)", for messages.
inline std::string pair_str(const std::array<int64_t, 2>& v) { return detail::str("(", v[0], ", ", v[1], ")"); }

/// The one geometry every backend kernel of a convolution of an `in`-shaped input with a
/// `w`-shaped weight reads (src/conv_geometry.h).
ConvGeometry geometry(IntArrayRef in, IntArrayRef w, const ConvParams& p);

/// conv2d of a batched input with groups = 1, after the checks: a recorded op.
Tensor conv2d_batched(const Tensor& input, const Tensor& weight, const Tensor& bias, const ConvParams& p);

/// The weight gradient (shape w_shape) of a convolution of x with output gradient g, as a
/// recorded op (differentiable again, for create_graph).
Tensor conv2d_grad_weight(const Tensor& g, const Tensor& x, const std::vector<int64_t>& w_shape, const ConvParams& p);

/// t with the history `edge` (t's values are those of the tensor the edge belongs to): for a
/// create_graph backward reading a contiguous copy saved in place of its source.
Tensor with_history(const Tensor& t, const autograd::Edge& edge);

/// Contiguous copies of a and b for a kernel: layout plumbing, never graph nodes.
std::pair<Tensor, Tensor> contiguous_pair(const Tensor& a, const Tensor& b);

}  // namespace conv_detail
}  // namespace ember
