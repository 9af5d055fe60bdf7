// F::conv1d, F::max_pool1d and F::avg_pool1d: the 2-D ops over (N, C, 1, L), with a 1-D op's
// own checks first so that errors speak of 1-D shapes.
#include "ember/functional.h"

#include "conv_padding.h"

namespace ember {
namespace nn {
namespace functional {
namespace {

void check_1d_input(const char* op, const Tensor& input) {
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, op, ": expected 2-D (C, L) or 3-D (N, C, L) input, got ",
              input.dim(), "-D input of size ", input.sizes());
}

}  // namespace

Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options) {
  check_1d_input("conv1d", input);
  EMBER_CHECK(weight.defined() && weight.dim() == 3,
              "conv1d: expected a 3-D weight (out_channels, in_channels / groups, kW), got ",
              weight.defined() ? weight.sizes() : IntArrayRef());
  const ConvPadding padded = resolve_conv_padding<1>("conv1d", input, weight, options.padding(), enumtype::kZeros(),
                                                     options.stride(), options.dilation());
  return ember::conv2d(padded.input.unsqueeze(-2), weight.unsqueeze(2), options.bias(), {1, options.stride()[0]},
                       {0, padded.padding[0]}, {1, options.dilation()[0]}, options.groups())
      .squeeze(-2);
}

Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& options) {
  check_1d_input("max_pool1d", input);
  return ember::max_pool2d(input.unsqueeze(-2), {1, options.kernel_size()[0]}, {1, options.stride()[0]},
                           {0, options.padding()[0]}, {1, options.dilation()[0]}, options.ceil_mode())
      .squeeze(-2);
}

Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& options) {
  check_1d_input("avg_pool1d", input);
  return ember::avg_pool2d(input.unsqueeze(-2), {1, options.kernel_size()[0]}, {1, options.stride()[0]},
                           {0, options.padding()[0]}, options.ceil_mode(), options.count_include_pad())
      .squeeze(-2);
}

}  // namespace functional
}  // namespace nn
}  // namespace ember
