// nn::Conv2d and nn::MaxPool2d.
#include <cmath>
#include <ostream>

#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

#include "default_init.h"

namespace ember {
namespace nn {

void Conv2dImpl::reset() {
  const int64_t in = options.in_channels(), out = options.out_channels(), groups = options.groups();
  EMBER_CHECK(in > 0 && out > 0, "Conv2d: in_channels and out_channels must be positive, got ", in, " and ", out);
  EMBER_CHECK(groups > 0 && in % groups == 0 && out % groups == 0, "Conv2d: groups (", groups,
              ") must be positive and divide both in_channels (", in, ") and out_channels (", out, ")");
  for (size_t i = 0; i < 2; ++i) {
    EMBER_CHECK(options.kernel_size()[i] > 0 && options.stride()[i] > 0 && options.dilation()[i] > 0 &&
                    options.padding()[i] >= 0,
                "Conv2d: kernel_size ", options.kernel_size(), ", stride ", options.stride(), " and dilation ",
                options.dilation(), " must be positive and padding ", options.padding(), " non-negative");
  }
  // Initialised as Linear, with fan_in = in_channels / groups * kH * kW.
  register_weight_and_bias({out, in / groups, options.kernel_size()[0], options.kernel_size()[1]});
}

void Conv2dImpl::pretty_print(std::ostream& stream) const {
  // LibTorch's format: kernel_size and stride always; padding, dilation, groups and bias only
  // when they differ from the defaults.
  print(stream, {{"", options.in_channels()},
                 {"", options.out_channels()},
                 {"kernel_size", options.kernel_size()},
                 {"stride", options.stride()},
                 {"padding", options.padding(), *options.padding() != *ExpandingArray<2>(0)},
                 {"dilation", options.dilation(), *options.dilation() != *ExpandingArray<2>(1)},
                 {"groups", options.groups(), options.groups() != 1},
                 {"bias", false, !options.bias()}});
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

}  // namespace nn
}  // namespace ember
