// nn::Conv1d, Conv2d, MaxPool1d and MaxPool2d.
#include <cmath>
#include <ostream>

#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

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
  std::vector<int64_t> shape{out, in / groups};
  for (size_t i = 0; i < D; ++i) {
    EMBER_CHECK(o.kernel_size()[i] > 0 && o.stride()[i] > 0 && o.dilation()[i] > 0 && o.padding()[i] >= 0, name,
                ": kernel_size ", o.kernel_size(), ", stride ", o.stride(), " and dilation ", o.dilation(),
                " must be positive and padding ", o.padding(), " non-negative");
    shape.push_back(o.kernel_size()[i]);
  }
  // Initialised as Linear, with fan_in = in_channels / groups * (the kernel's size).
  this->register_weight_and_bias(shape);
}

template <size_t D>
void ConvNdImpl<D>::print_conv(std::ostream& stream) const {
  const auto& o = this->options;
  this->print(stream, {{"", o.in_channels()},
                       {"", o.out_channels()},
                       {"kernel_size", o.kernel_size()},
                       {"stride", o.stride()},
                       {"padding", o.padding(), *o.padding() != *ExpandingArray<D>(0)},
                       {"dilation", o.dilation(), *o.dilation() != *ExpandingArray<D>(1)},
                       {"groups", o.groups(), o.groups() != 1},
                       {"bias", false, !o.bias()}});
}

template class ConvNdImpl<1>;
template class ConvNdImpl<2>;

void Conv1dImpl::pretty_print(std::ostream& stream) const { print_conv(stream); }
void Conv2dImpl::pretty_print(std::ostream& stream) const { print_conv(stream); }

Tensor Conv1dImpl::forward(const Tensor& input) {
  return functional::conv1d(input, weight,
                            functional::Conv1dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

Tensor Conv2dImpl::forward(const Tensor& input) {
  return functional::conv2d(input, weight,
                            functional::Conv2dFuncOptions()
                                .bias(bias)
                                .stride(options.stride())
                                .padding(options.padding())
                                .dilation(options.dilation())
                                .groups(options.groups()));
}

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
}  // namespace nn
}  // namespace ember
