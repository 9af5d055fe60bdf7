#pragma once
// How a convolution's padding option reaches the conv op: padding_mode's padding and the odd
// extra of padding='same' go through F::pad first; what is left is the op's symmetric zero
// padding. Shared by F::conv1d/conv2d and nn::Conv1d/Conv2d.
#include <vector>

#include "ember/nn/options.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

struct ConvPadding {
  Tensor input;                  // the input, padded where the conv op's zero padding cannot do it
  std::vector<int64_t> padding;  // the zero padding left for the conv op, one value per spatial dim
};

/// `op` names the caller in errors ("conv2d", "Conv1d"). PyTorch's rule for 'same': a total of
/// dilation * (k - 1) per dim, total / 2 on the left and the rest on the right; strides must be 1.
template <size_t D>
ConvPadding resolve_conv_padding(const char* op, const Tensor& input, const Tensor& weight,
                                 const conv_padding_t<D>& padding, const conv_padding_mode_t& mode,
                                 const ExpandingArray<D>& stride, const ExpandingArray<D>& dilation);

}  // namespace nn
}  // namespace ember
