// nn::Conv1d, Conv2d, MaxPool1d and MaxPool2d, and what Conv3d shares with them (ConvNdImpl<3>).
#include <cmath>
#include <ostream>
#include <sstream>
#include <variant>

#include "ember/functional.h"
#include "ember/nn/conv_pool3d.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

#include "conv_padding.h"
#include "default_init.h"

namespace ember {
namespace nn {

template <size_t D>
void ConvNdImpl<D>::reset() {
  const auto& o = this->options;
  const char* name = this->layer_name_;
  const int64_t in = o.in_channels(), out = o.out_channels(), groups = o.groups();
  EMBER_CHECK(in > 0 && out > 0, name, ": in_channels and out_channels must be positive, got ", in, " and ", out);
  EMBER_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, name, ": groups (", groups,
              ") must be positive and divide both in_channels (", in, ") and out_channels (", out, ")");
  const auto* explicit_padding = std::get_if<ExpandingArray<D>>(&o.padding());
  std::vector<int64_t> shape{out, in / groups};
  for (size_t i = 0; i < D; ++i) {
    EMBER_CHECK(o.kernel_size()[i] > 0 && o.stride()[i] > 0 && o.dilation()[i] > 0, name, ": kernel_size ",
                o.kernel_size(), ", stride ", o.stride(), " and dilation ", o.dilation(), " must be positive");
    EMBER_CHECK(!explicit_padding || (*explicit_padding)[i] >= 0, name, ": padding ", *explicit_padding,
                " must be non-negative");
    // As LibTorch's reset(): a strided 'same' convolution fails when built, not when run.
    EMBER_CHECK(!std::holds_alternative<enumtype::kSame>(o.padding()) || o.stride()[i] == 1, name,
                ": padding='same' is not supported for strided convolutions (stride ", o.stride(), ")");
    shape.push_back(o.kernel_size()[i]);
  }
  // Initialised as Linear, with fan_in = in_channels / groups * (the kernel's size).
  this->register_weight_and_bias(shape);
}

template <size_t D>
void ConvNdImpl<D>::print_conv(std::ostream& stream) const {
  const auto& o = this->options;
  // LibTorch prints kValid and kSame as Python's strings.
  std::ostringstream padding;
  const auto* explicit_padding = std::get_if<ExpandingArray<D>>(&o.padding());
  if (explicit_padding) padding << *explicit_padding;
  else padding << (std::holds_alternative<enumtype::kSame>(o.padding()) ? "'same'" : "'valid'");
  this->print(stream, {{"", o.in_channels()},
                       {"", o.out_channels()},
                       {"kernel_size", o.kernel_size()},
                       {"stride", o.stride()},
                       {"padding", padding.str(), !explicit_padding || **explicit_padding != *ExpandingArray<D>(0)},
                       {"dilation", o.dilation(), *o.dilation() != *ExpandingArray<D>(1)},
                       {"groups", o.groups(), o.groups() != 1},
                       {"bias", false, !o.bias()},
                       {"padding_mode", get_enum_name(o.padding_mode()),
                        !std::holds_alternative<enumtype::kZeros>(o.padding_mode())}});
}

template <size_t D>
Tensor ConvNdImpl<D>::conv_forward(const Tensor& input) {
  const auto& o = this->options;
  const ConvPadding padded = resolve_conv_padding<D>(this->layer_name_, input, this->weight, o.padding(),
                                                     o.padding_mode(), o.stride(), o.dilation());
  const auto f = functional::ConvFuncOptions<D>()
                     .bias(this->bias)
                     .stride(o.stride())
                     .padding(ExpandingArray<D>(padded.padding))
                     .dilation(o.dilation())
                     .groups(o.groups());
  if constexpr (D == 1) return functional::conv1d(padded.input, this->weight, f);
  else if constexpr (D == 2) return functional::conv2d(padded.input, this->weight, f);
  else return functional::conv3d(padded.input, this->weight, f);
}

template class ConvNdImpl<1>;
template class ConvNdImpl<2>;
template class ConvNdImpl<3>;

void Conv1dImpl::pretty_print(std::ostream& stream) const { print_conv(stream); }
void Conv2dImpl::pretty_print(std::ostream& stream) const { print_conv(stream); }
Tensor Conv1dImpl::forward(const Tensor& input) { return conv_forward(input); }
Tensor Conv2dImpl::forward(const Tensor& input) { return conv_forward(input); }

void MaxPool2dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()},
                 {"stride", options.stride()},
                 {"padding", options.padding()},
                 {"dilation", options.dilation()},
                 {"ceil_mode", options.ceil_mode()}});
}

Tensor MaxPool2dImpl::forward(const Tensor& input) { return functional::max_pool2d(input, options); }
std::tuple<Tensor, Tensor> MaxPool2dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool2d_with_indices(input, options);
}

void MaxPool1dImpl::pretty_print(std::ostream& stream) const {
  print(stream, {{"kernel_size", options.kernel_size()},
                 {"stride", options.stride()},
                 {"padding", options.padding()},
                 {"dilation", options.dilation()},
                 {"ceil_mode", options.ceil_mode()}});
}
Tensor MaxPool1dImpl::forward(const Tensor& input) { return functional::max_pool1d(input, options); }
std::tuple<Tensor, Tensor> MaxPool1dImpl::forward_with_indices(const Tensor& input) {
  return functional::max_pool1d_with_indices(input, options);
}
}  // namespace nn
}  // namespace ember
