// resolve_conv_padding: the padding options of the convolutions, as PyTorch 1.13 applies them.
#include "conv_padding.h"

#include <type_traits>

#include "ember/functional.h"

namespace ember {
namespace nn {

template <size_t D>
ConvPadding resolve_conv_padding(const char* op, const Tensor& input, const Tensor& weight,
                                 const conv_padding_t<D>& padding, const conv_padding_mode_t& mode,
                                 const ExpandingArray<D>& stride, const ExpandingArray<D>& dilation) {
  std::vector<int64_t> left(D, 0), right(D, 0);
  if (const auto* explicit_padding = std::get_if<ExpandingArray<D>>(&padding)) {
    for (size_t i = 0; i < D; ++i) left[i] = right[i] = (*explicit_padding)[i];
  } else if (std::holds_alternative<enumtype::kSame>(padding)) {
    for (size_t i = 0; i < D; ++i) {
      EMBER_CHECK(stride[i] == 1, op, ": padding='same' is not supported for strided convolutions (stride ", stride,
                  ")");
    }
    EMBER_CHECK(weight.defined() && weight.dim() == int64_t(D) + 2, op, ": padding='same' needs a ", D + 2,
                "-D weight, got ", weight.defined() ? weight.sizes() : IntArrayRef());
    for (size_t i = 0; i < D; ++i) {
      const int64_t total = dilation[i] * (weight.size(int64_t(i) + 2) - 1);
      left[i] = total / 2;
      right[i] = total - left[i];
    }
  }
  // With zeros, the conv op pads `left` on both sides and F::pad only the extra on the right;
  // the other modes pad everything with F::pad and leave the op no padding, as PyTorch's modules.
  const bool zeros = std::holds_alternative<enumtype::kZeros>(mode);
  std::vector<int64_t> pad;  // F::pad's order: the last dim first, (before, after) for each
  bool any = false;
  for (size_t i = D; i-- > 0;) {
    pad.push_back(zeros ? 0 : left[i]);
    pad.push_back(zeros ? right[i] - left[i] : right[i]);
    any = any || pad[pad.size() - 2] != 0 || pad.back() != 0;
  }
  ConvPadding result{input, zeros ? left : std::vector<int64_t>(D, 0)};
  if (any) {
    const auto pad_mode = std::visit(
        [](auto tag) -> functional::PadFuncOptions::mode_t {
          if constexpr (std::is_same<decltype(tag), enumtype::kZeros>::value) return enumtype::kConstant();
          else return tag;
        },
        mode);
    result.input = functional::pad(input, functional::PadFuncOptions(pad).mode(pad_mode));
  }
  return result;
}

template ConvPadding resolve_conv_padding<1>(const char*, const Tensor&, const Tensor&, const conv_padding_t<1>&,
                                             const conv_padding_mode_t&, const ExpandingArray<1>&,
                                             const ExpandingArray<1>&);
template ConvPadding resolve_conv_padding<2>(const char*, const Tensor&, const Tensor&, const conv_padding_t<2>&,
                                             const conv_padding_mode_t&, const ExpandingArray<2>&,
                                             const ExpandingArray<2>&);
template ConvPadding resolve_conv_padding<3>(const char*, const Tensor&, const Tensor&, const conv_padding_t<3>&,
                                             const conv_padding_mode_t&, const ExpandingArray<3>&,
                                             const ExpandingArray<3>&);

}  // namespace nn
}  // namespace ember
