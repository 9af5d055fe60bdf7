#pragma once
// Average and adaptive pooling layers and their functional forms, as LibTorch's
// torch::nn::AvgPool1d, AvgPool2d, AdaptiveAvgPool2d, AdaptiveMaxPool2d and F::avg_pool2d,
// F::adaptive_avg_pool2d, F::adaptive_max_pool2d(_with_indices). (MaxPool1d/2d are in modules.h.)
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
using AdaptiveAvgPool2dOptions = AdaptivePoolOptions<2>;
using AdaptiveMaxPool2dOptions = AdaptivePoolOptions<2>;

namespace functional {
using AvgPool2dFuncOptions = AvgPool2dOptions;
using AdaptiveAvgPool2dFuncOptions = AdaptiveAvgPool2dOptions;
using AdaptiveMaxPool2dFuncOptions = AdaptiveMaxPool2dOptions;

EMBER_API Tensor avg_pool2d(const Tensor& input, const AvgPool2dFuncOptions& options);
EMBER_API Tensor adaptive_avg_pool2d(const Tensor& input, const AdaptiveAvgPool2dFuncOptions& options);
EMBER_API Tensor adaptive_max_pool2d(const Tensor& input, const AdaptiveMaxPool2dFuncOptions& options);
/// (output, indices), the indices flat h * W + w positions within each plane.
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool2d_with_indices(const Tensor& input,
                                                                      const AdaptiveMaxPool2dFuncOptions& options);
}  // namespace functional

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
}  // namespace ember
