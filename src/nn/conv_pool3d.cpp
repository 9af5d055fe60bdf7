// The 3-D layers and the functional forms of the 3-D convolution and pools, over the ops of
// src/ops/conv3d.cpp and src/ops/pool3d.cpp (nn::Conv3d itself is ConvNdImpl<3>, src/nn/conv.cpp).
#include "ember/nn/conv_pool3d.h"

#include <ostream>

#include "conv_padding.h"

namespace ember {
namespace nn {
namespace functional {

Tensor conv3d(const Tensor& input, const Tensor& weight, const Conv3dFuncOptions& options) {
  EMBER_CHECK(input.defined(), "conv3d: undefined input");
  const ConvPadding padded = resolve_conv_padding<3>("conv3d", input, weight, options.padding(), enumtype::kZeros(),
                                                     options.stride(), options.dilation());
  return ember::conv3d(padded.input, weight, options.bias(), options.stride(), padded.padding, options.dilation(),
                       options.groups());
}

Tensor max_pool3d(const Tensor& input, const MaxPool3dFuncOptions& options) {
  return ember::max_pool3d(input, options.kernel_size(), options.stride(), options.padding(), options.dilation(),
                           options.ceil_mode());
}

std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, const MaxPool3dFuncOptions& options) {
  return ember::max_pool3d_with_indices(input, options.kernel_size(), options.stride(), options.padding(),
                                        options.dilation(), options.ceil_mode());
}

Tensor avg_pool3d(const Tensor& input, const AvgPool3dFuncOptions& options) {
  return ember::avg_pool3d(input, options.kernel_size(), options.stride(), options.padding(), options.ceil_mode(),
                           options.count_include_pad(), options.divisor_override());
}

Tensor adaptive_avg_pool3d(const Tensor& input, const AdaptiveAvgPool3dFuncOptions& options) {
  return ember::adaptive_avg_pool3d(input, options.output_size());
}

Tensor adaptive_max_pool3d(const Tensor& input, const AdaptiveMaxPool3dFuncOptions& options) {
  return std::get<0>(ember::adaptive_max_pool3d(input, options.output_size()));
}

std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool3dFuncOptions& options) {
  return ember::adaptive_max_pool3d(input, options.output_size());
}

}  // namespace functional

void Conv3dImpl::pretty_print(std::ostream& stream) const { print_conv(stream); }
Tensor Conv3dImpl::forward(const Tensor& input) { return conv_forward(input); }

void MaxPool3dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()},
                 {"stride", options.stride()},
                 {"padding", options.padding()},
                 {"dilation", options.dilation()},
                 {"ceil_mode", options.ceil_mode()}});
}
Tensor MaxPool3dImpl::forward(const Tensor& input) { return functional::max_pool3d(input, options); }
std::tuple<Tensor, Tensor> MaxPool3dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool3d_with_indices(input, options);
}

void AvgPool3dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()}, {"stride", options.stride()}, {"padding", options.padding()}});
}
Tensor AvgPool3dImpl::forward(const Tensor& input) { return functional::avg_pool3d(input, options); }

void AdaptiveAvgPool3dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveAvgPool3dImpl::forward(const Tensor& input) { return functional::adaptive_avg_pool3d(input, options); }

void AdaptiveMaxPool3dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"output_size", options.output_size()}});
}
Tensor AdaptiveMaxPool3dImpl::forward(const Tensor& input) { return functional::adaptive_max_pool3d(input, options); }
std::tuple<Tensor, Tensor> AdaptiveMaxPool3dImpl::forward_with_indices(const Tensor& input) {
  return functional::adaptive_max_pool3d_with_indices(input, options);
}

void BatchNorm3dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor BatchNorm3dImpl::forward(const Tensor& input) { return forward_checked(input, 5, 5); }

void InstanceNorm3dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor InstanceNorm3dImpl::forward(const Tensor& input) { return forward_checked(input, 5); }

}  // namespace nn
}  // namespace ember
