// nn::ConvTranspose1d and nn::ConvTranspose2d.
#include "ember/nn/conv_transpose.h"

#include <ostream>
#include <sstream>
#include <variant>

#include "default_init.h"

namespace ember {
namespace nn {

template <size_t D>
void ConvTransposeNdImpl<D>::reset() {
  const auto& o = this->options;
  const char* name = this->layer_name_;
  const int64_t in = o.in_channels(), out = o.out_channels(), groups = o.groups();
  EMBER_CHECK(groups > 0, name, ": groups must be a positive integer, got ", groups);
  EMBER_CHECK(in % groups == 0, name, ": in_channels must be divisible by groups, got in_channels ", in, " and groups ",
              groups);
  EMBER_CHECK(out % groups == 0, name, ": out_channels must be divisible by groups, got out_channels ", out,
              " and groups ", groups);
  EMBER_CHECK(in >= 0 && out >= 0, name, ": in_channels and out_channels must be non-negative, got ", in, " and ", out);
  // The weight of the convolution this one transposes: (in, out / groups, k...).
  std::vector<int64_t> shape{in, out / groups};
  for (size_t i = 0; i < D; ++i) {
    EMBER_CHECK(o.kernel_size()[i] > 0 && o.stride()[i] > 0 && o.dilation()[i] > 0, name, ": kernel_size ",
                o.kernel_size(), ", stride ", o.stride(), " and dilation ", o.dilation(), " must be positive");
    EMBER_CHECK(o.padding()[i] >= 0 && o.output_padding()[i] >= 0, name, ": padding ", o.padding(),
                " and output_padding ", o.output_padding(), " must be non-negative");
    shape.push_back(o.kernel_size()[i]);
  }
  weight = this->register_parameter("weight", ember::empty(shape));
  bias = this->register_parameter("bias", o.bias() ? ember::empty({out}) : Tensor(), /*requires_grad=*/o.bias());
  reset_parameters();
}

template <size_t D>
void ConvTransposeNdImpl<D>::reset_parameters() {
  // fan_in = weight.size(1) * (the kernel's size) = out / groups * k...: PyTorch's _ConvNd
  // computes it from the weight whatever its layout.
  default_reset(weight, bias);
}

template <size_t D>
void ConvTransposeNdImpl<D>::print_conv_transpose(std::ostream& stream) const {
  const auto& o = this->options;
  this->print(stream, {{"", o.in_channels()},
                       {"", o.out_channels()},
                       {"kernel_size", o.kernel_size()},
                       {"stride", o.stride()},
                       {"padding", o.padding(), *o.padding() != *ExpandingArray<D>(0)},
                       {"dilation", o.dilation(), *o.dilation() != *ExpandingArray<D>(1)},
                       {"output_padding", o.output_padding(), *o.output_padding() != *ExpandingArray<D>(0)},
                       {"groups", o.groups(), o.groups() != 1},
                       {"bias", false, !o.bias()},
                       {"padding_mode", get_enum_name(o.padding_mode()),
                        !std::holds_alternative<enumtype::kZeros>(o.padding_mode())}});
}

template <size_t D>
Tensor ConvTransposeNdImpl<D>::conv_transpose_forward(const Tensor& input,
                                                      const std::optional<IntArrayRef>& output_size) {
  const auto& o = this->options;
  const char* name = this->layer_name_;
  EMBER_CHECK(std::holds_alternative<enumtype::kZeros>(o.padding_mode()), "Only `zeros` padding mode is supported for ",
              name);
  std::vector<int64_t> output_padding(o.output_padding()->begin(), o.output_padding()->end());
  // output_size (the spatial sizes, or all of the output's) picks output_padding, as PyTorch's
  // _output_padding: the output can be any of the `stride` sizes from the smallest one up. (With
  // a wrong input rank, the functional op reports it.)
  const int64_t non_spatial = input.defined() && input.dim() == int64_t(D) + 2 ? 2 : 1;
  if (output_size && input.defined() && (input.dim() == int64_t(D) + 1 || input.dim() == int64_t(D) + 2)) {
    IntArrayRef sizes = *output_size;
    if (sizes.size() == size_t(non_spatial) + D) sizes = IntArrayRef(sizes.data() + non_spatial, D);
    EMBER_CHECK(sizes.size() == D, name, ": for ", input.dim(), "D input, output_size must have ", D, " or ",
                non_spatial + int64_t(D), " elements (got ", output_size->size(), ")");
    std::vector<int64_t> min_sizes(D), max_sizes(D);
    for (size_t d = 0; d < D; ++d) {
      min_sizes[d] = (input.size(non_spatial + d) - 1) * o.stride()[d] - 2 * o.padding()[d] +
                     o.dilation()[d] * (o.kernel_size()[d] - 1) + 1;
      max_sizes[d] = min_sizes[d] + o.stride()[d] - 1;
    }
    for (size_t d = 0; d < D; ++d) {
      EMBER_CHECK(sizes[d] >= min_sizes[d] && sizes[d] <= max_sizes[d], name, ": requested an output size of ", sizes,
                  ", but valid sizes range from ", IntArrayRef(min_sizes), " to ", IntArrayRef(max_sizes),
                  " (for an input of ", IntArrayRef(input.sizes().data() + non_spatial, D), ")");
      output_padding[d] = sizes[d] - min_sizes[d];
    }
  }
  if constexpr (D == 1) {
    return ember::conv_transpose1d(input, weight, bias, o.stride(), o.padding(), output_padding, o.groups(),
                                   o.dilation());
  } else {
    return ember::conv_transpose2d(input, weight, bias, o.stride(), o.padding(), output_padding, o.groups(),
                                   o.dilation());
  }
}

template class ConvTransposeNdImpl<1>;
template class ConvTransposeNdImpl<2>;

void ConvTranspose1dImpl::pretty_print(std::ostream& stream) const { print_conv_transpose(stream); }
void ConvTranspose2dImpl::pretty_print(std::ostream& stream) const { print_conv_transpose(stream); }
Tensor ConvTranspose1dImpl::forward(const Tensor& input, const std::optional<IntArrayRef>& output_size) {
  return conv_transpose_forward(input, output_size);
}
Tensor ConvTranspose2dImpl::forward(const Tensor& input, const std::optional<IntArrayRef>& output_size) {
  return conv_transpose_forward(input, output_size);
}

}  // namespace nn
}  // namespace ember
