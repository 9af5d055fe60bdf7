#pragma once
// Transposed convolutions, as LibTorch 1.13's: the free functions ember::conv_transpose1d/2d
// (torch::conv_transpose1d/2d) and F::conv_transpose1d/2d with their ConvTransposeFuncOptions.
// The weight is (in_channels, out_channels / groups, k...): the weight of the convolution whose
// input gradient the transposed convolution computes. Included by ember/functional.h.
#include <cstdint>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/tensor.h"

namespace ember {

/// input (N, C_in, H, W) or unbatched (C_in, H, W); weight (C_in, C_out / groups, kH, kW); bias
/// (C_out). Output size per dim: (in - 1) * stride - 2 * padding + dilation * (k - 1) +
/// output_padding + 1. A one-element stride/padding/output_padding/dilation applies to both dims.
EMBER_API Tensor conv_transpose2d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                                  IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef output_padding = 0,
                                  int64_t groups = 1, IntArrayRef dilation = 1);
/// input (N, C_in, L) or unbatched (C_in, L); weight (C_in, C_out / groups, k).
EMBER_API Tensor conv_transpose1d(const Tensor& input, const Tensor& weight, const Tensor& bias = Tensor(),
                                  IntArrayRef stride = 1, IntArrayRef padding = 0, IntArrayRef output_padding = 0,
                                  int64_t groups = 1, IntArrayRef dilation = 1);

namespace nn {
namespace functional {

/// F::conv_transpose1d / F::conv_transpose2d options (LibTorch's ConvTransposeFuncOptions).
template <size_t D>
struct ConvTransposeFuncOptions {
  EMBER_ARG(Tensor, bias) = Tensor();
  EMBER_ARG(ExpandingArray<D>, stride) = 1;
  EMBER_ARG(ExpandingArray<D>, padding) = 0;
  EMBER_ARG(ExpandingArray<D>, output_padding) = 0;
  EMBER_ARG(int64_t, groups) = 1;
  EMBER_ARG(ExpandingArray<D>, dilation) = 1;
};
using ConvTranspose1dFuncOptions = ConvTransposeFuncOptions<1>;
using ConvTranspose2dFuncOptions = ConvTransposeFuncOptions<2>;

EMBER_API Tensor conv_transpose1d(const Tensor& input, const Tensor& weight,
                                  const ConvTranspose1dFuncOptions& options = {});
EMBER_API Tensor conv_transpose2d(const Tensor& input, const Tensor& weight,
                                  const ConvTranspose2dFuncOptions& options = {});

}  // namespace functional
}  // namespace nn
}  // namespace ember
