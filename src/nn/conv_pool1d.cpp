// F::conv1d, F::max_pool1d(_with_indices), F::avg_pool1d and the adaptive 1-D pools, and their
// ATen free forms: the 2-D ops over (N, C, 1, L), as PyTorch's, with a 1-D op's own checks first
// so that errors speak of 1-D shapes.
#include "ember/functional.h"
#include "ember/nn/pooling.h"

#include "conv_padding.h"

namespace ember {
namespace {

void check_1d_input(const char* op, const Tensor& input) {
  EMBER_CHECK(input.defined(), op, ": undefined input");
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, op, ": expected 2-D (C, L) or 3-D (N, C, L) input, got ",
              input.dim(), "-D input of size ", input.sizes());
}

/// PyTorch's check1d: an IntArrayRef argument of a 1-D op holds one value (stride may be empty:
/// the kernel size).
int64_t one_value(const char* op, const char* arg, IntArrayRef values) {
  EMBER_CHECK(values.size() == 1, op, "() argument '", arg, "' should contain one int (got ", values.size(), ")");
  return values[0];
}

Tensor squeeze_plane(const Tensor& t) { return t.squeeze(-2); }
std::tuple<Tensor, Tensor> squeeze_plane(const std::tuple<Tensor, Tensor>& t) {
  return {std::get<0>(t).squeeze(-2), std::get<1>(t).squeeze(-2)};
}

}  // namespace

namespace nn {
namespace functional {

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

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, const MaxPool1dFuncOptions& options) {
  check_1d_input("max_pool1d_with_indices", input);
  return squeeze_plane(ember::max_pool2d_with_indices(input.unsqueeze(-2), {1, options.kernel_size()[0]},
                                                      {1, options.stride()[0]}, {0, options.padding()[0]},
                                                      {1, options.dilation()[0]}, options.ceil_mode()));
}

Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& options) {
  check_1d_input("avg_pool1d", input);
  return ember::avg_pool2d(input.unsqueeze(-2), {1, options.kernel_size()[0]}, {1, options.stride()[0]},
                           {0, options.padding()[0]}, options.ceil_mode(), options.count_include_pad())
      .squeeze(-2);
}

Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& options) {
  return ember::adaptive_avg_pool1d(input, options.output_size());
}

Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& options) {
  return std::get<0>(ember::adaptive_max_pool1d(input, options.output_size()));
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                            const AdaptiveMaxPool1dFuncOptions& options) {
  return ember::adaptive_max_pool1d(input, options.output_size());
}

}  // namespace functional
}  // namespace nn

namespace {
/// The free forms' options as the module options (stride empty: the kernel size).
nn::MaxPool1dOptions max_pool1d_options(const char* op, IntArrayRef kernel_size, IntArrayRef stride,
                                        IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  const int64_t k = one_value(op, "kernel_size", kernel_size);
  return nn::MaxPool1dOptions(k)
      .stride(stride.empty() ? k : one_value(op, "stride", stride))
      .padding(one_value(op, "padding", padding))
      .dilation(one_value(op, "dilation", dilation))
      .ceil_mode(ceil_mode);
}
}  // namespace

Tensor max_pool1d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding,
                  IntArrayRef dilation, bool ceil_mode) {
  return nn::functional::max_pool1d(
      input, max_pool1d_options("max_pool1d", kernel_size, stride, padding, dilation, ceil_mode));
}

std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride,
                                                   IntArrayRef padding, IntArrayRef dilation, bool ceil_mode) {
  return nn::functional::max_pool1d_with_indices(
      input, max_pool1d_options("max_pool1d_with_indices", kernel_size, stride, padding, dilation, ceil_mode));
}

Tensor avg_pool1d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride, IntArrayRef padding, bool ceil_mode,
                  bool count_include_pad) {
  const char* op = "avg_pool1d";
  const int64_t k = one_value(op, "kernel_size", kernel_size);
  return nn::functional::avg_pool1d(input, nn::AvgPool1dOptions(k)
                                               .stride(stride.empty() ? k : one_value(op, "stride", stride))
                                               .padding(one_value(op, "padding", padding))
                                               .ceil_mode(ceil_mode)
                                               .count_include_pad(count_include_pad));
}

Tensor adaptive_avg_pool1d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_avg_pool1d";
  check_1d_input(op, input);
  return squeeze_plane(ember::adaptive_avg_pool2d(input.unsqueeze(-2), {1, one_value(op, "output_size", output_size)}));
}

std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, IntArrayRef output_size) {
  const char* op = "adaptive_max_pool1d";
  check_1d_input(op, input);
  return squeeze_plane(ember::adaptive_max_pool2d(input.unsqueeze(-2), {1, one_value(op, "output_size", output_size)}));
}
}  // namespace ember
