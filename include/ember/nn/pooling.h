#pragma once
// Average and adaptive pooling layers and their functional forms, as LibTorch's
// torch::nn::AvgPool1d, AvgPool2d, AdaptiveAvgPool1d/2d, AdaptiveMaxPool1d/2d and F::avg_pool2d,
// F::adaptive_avg_pool1d/2d, F::adaptive_max_pool1d/2d(_with_indices), and ATen's
// torch::adaptive_avg_pool1d / adaptive_max_pool1d. (MaxPool1d/2d are in modules.h.)
// Difference: an adaptive output_size is two integers (or one for both); LibTorch's None
// element ("keep the input's size") is not taken.
#include <iosfwd>
#include <optional>
#include <tuple>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/options.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// AdaptiveAvgPool2d(output_size), AdaptiveMaxPool2d(output_size).
template <size_t D>
struct AdaptivePoolOptions {
  AdaptivePoolOptions(ExpandingArray<D> output_size) : output_size_(output_size) {}  // NOLINT
  EMBER_ARG(ExpandingArray<D>, output_size);
};
using AdaptiveAvgPool1dOptions = AdaptivePoolOptions<1>;
using AdaptiveMaxPool1dOptions = AdaptivePoolOptions<1>;
using AdaptiveAvgPool2dOptions = AdaptivePoolOptions<2>;
using AdaptiveMaxPool2dOptions = AdaptivePoolOptions<2>;

namespace functional {
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
using AdaptiveMaxPool2dFuncOptions = AdaptiveMaxPool2dOptions;
using AdaptiveAvgPool1dFuncOptions = AdaptiveAvgPool1dOptions;
using AdaptiveMaxPool1dFuncOptions = AdaptiveMaxPool1dOptions;

EMBER_API Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
EMBER_API Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
EMBER_API Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
/// (output, indices), the indices flat h * W + w positions within each plane.
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                                      const AdaptiveMaxPool2dFuncOptions& options);
/// The 1-D forms over (N, C, L) or (C, L): the 2-D ops over (N, C, 1, L), as PyTorch's.
EMBER_API Tensor adaptive_avg_pool1d(const Tensor& input, const AdaptiveAvgPool1dFuncOptions& options);
EMBER_API Tensor adaptive_max_pool1d(const Tensor& input, const AdaptiveMaxPool1dFuncOptions& options);
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool1d_with_indices(const Tensor& input,
                                                                      const AdaptiveMaxPool1dFuncOptions& options);
}  // namespace functional

/// 1-D adaptive average pooling to a fixed output length.
EMBER_LAYER(AdaptiveAvgPool1d, OptionsModule<AdaptiveAvgPool1dOptions>, Tensor forward(const Tensor& input););
/// 1-D adaptive max pooling; forward_with_indices gives (output, indices).
EMBER_LAYER(AdaptiveMaxPool1d, OptionsModule<AdaptiveMaxPool1dOptions>, Tensor forward(const Tensor& input);
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););

/// 1-D average pooling over (N, C, L) or (C, L).
EMBER_LAYER(AvgPool1d, OptionsModule<AvgPool1dOptions>, Tensor forward(const Tensor& input););
/// 2-D average pooling.
EMBER_LAYER(AvgPool2d, OptionsModule<AvgPool2dOptions>, Tensor forward(const Tensor& input););
/// 2-D adaptive average pooling to a fixed output size ((1, 1): the global average).
EMBER_LAYER(AdaptiveAvgPool2d, OptionsModule<AdaptiveAvgPool2dOptions>, Tensor forward(const Tensor& input););
/// 2-D adaptive max pooling to a fixed output size; forward_with_indices gives (output, indices).
EMBER_LAYER(AdaptiveMaxPool2d, OptionsModule<AdaptiveMaxPool2dOptions>, Tensor forward(const Tensor& input);
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););

}  // namespace nn

/// ATen's torch::adaptive_avg_pool1d(input, {L}) and adaptive_max_pool1d (output, indices).
EMBER_API Tensor adaptive_avg_pool1d(const Tensor& input, IntArrayRef output_size);
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool1d(const Tensor& input, IntArrayRef output_size);

}  // namespace ember
