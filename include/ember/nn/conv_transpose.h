#pragma once
// The transposed convolution layers, as LibTorch 1.13's nn::ConvTranspose1d and
// nn::ConvTranspose2d, with their options; their functional forms are in
// ember/nn/functional/conv_transpose.h.
//   ConvTranspose2d up(ConvTranspose2dOptions(16, 8, 3).stride(2).padding(1).output_padding(1));
//   Tensor y = up(x);                          // (N, 16, H, W) -> (N, 8, 2H, 2W)
//   Tensor z = up->forward(x, std::vector<int64_t>{2 * H - 1, 2 * W});  // output_padding from output_size
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <vector>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/functional/conv_transpose.h"
#include "ember/nn/options.h"
#include "ember/nn/options_module.h"

namespace ember {
namespace nn {

/// ConvTranspose1d / ConvTranspose2d(in_channels, out_channels, kernel_size). padding_mode is
/// there for LibTorch's sake: only kZeros runs (forward throws otherwise, as LibTorch's).
template <size_t D>
struct ConvTransposeOptions {
  using padding_mode_t = conv_padding_mode_t;
  ConvTransposeOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  EMBER_ARG(int64_t, in_channels);
  EMBER_ARG(int64_t, out_channels);
  EMBER_ARG(ExpandingArray<D>, kernel_size);
  EMBER_ARG(ExpandingArray<D>, stride) = 1;
  EMBER_ARG(ExpandingArray<D>, padding) = 0;
  EMBER_ARG(ExpandingArray<D>, output_padding) = 0;
  EMBER_ARG(int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(ExpandingArray<D>, dilation) = 1;
  EMBER_ARG(padding_mode_t, padding_mode) = enumtype::kZeros();
};
using ConvTranspose1dOptions = ConvTransposeOptions<1>;
using ConvTranspose2dOptions = ConvTransposeOptions<2>;

/// What ConvTranspose1d and ConvTranspose2d share: reset() checks the options and registers the
/// weight (in, out / groups, k...) and bias (out), initialised as LibTorch's _ConvNd (Kaiming
/// uniform with a = sqrt(5); the bias uniform in +-1/sqrt(fan_in), fan_in being the weight's
/// size(1) times the kernel's size).
template <size_t D>
class EMBER_API ConvTransposeNdImpl : public OptionsModule<ConvTransposeOptions<D>> {
 public:
  using OptionsModule<ConvTransposeOptions<D>>::OptionsModule;
  void reset();
  /// Draws fresh initial values (LibTorch's default initialisation).
  void reset_parameters();

  Tensor weight;
  Tensor bias;  // undefined with bias(false)

 protected:
  /// LibTorch's printout: kernel_size and stride always; padding, dilation, output_padding,
  /// groups, bias and padding_mode only when they differ from the defaults.
  void print_conv_transpose(std::ostream& stream) const;
  /// The transposed convolution, its output_padding from output_size when given (as
  /// LibTorch's _output_padding: output_size holds the spatial sizes, or all of the output's).
  Tensor conv_transpose_forward(const Tensor& input, const std::optional<IntArrayRef>& output_size);
};
extern template class EMBER_API ConvTransposeNdImpl<1>;
extern template class EMBER_API ConvTransposeNdImpl<2>;

/// 1-D transposed convolution over (N, C, L) or (C, L), weight (in, out / groups, k).
EMBER_LAYER(ConvTranspose1d, ConvTransposeNdImpl<1>,
            Tensor forward(const Tensor& input, const std::optional<IntArrayRef>& output_size = std::nullopt););
/// 2-D transposed convolution over (N, C, H, W) or (C, H, W), weight (in, out / groups, kH, kW).
EMBER_LAYER(ConvTranspose2d, ConvTransposeNdImpl<2>,
            Tensor forward(const Tensor& input, const std::optional<IntArrayRef>& output_size = std::nullopt););

}  // namespace nn
}  // namespace ember
