#pragma once
// The 3-D layers, as LibTorch 1.13's torch::nn::Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d,
// AdaptiveMaxPool3d, BatchNorm3d and InstanceNorm3d (their functional forms are in
// ember/nn/functional/conv_pool3d.h).
#include <tuple>

#include "ember/nn/functional/conv_pool3d.h"
#include "ember/nn/modules.h"
#include "ember/nn/normalization.h"
#include "ember/nn/options_module.h"

namespace ember {
namespace nn {

using BatchNorm3dOptions = BatchNormOptions;
using InstanceNorm3dOptions = InstanceNormOptions;

extern template class EMBER_API WeightBiasImplBase<ConvOptions<3>>;
extern template class EMBER_API ConvNdImpl<3>;

/// 3-D convolution over (N, C, D, H, W), weight (out, in / groups, kD, kH, kW), bias (out).
EMBER_LAYER(Conv3d, ConvNdImpl<3>, Tensor forward(const Tensor& input););
/// 3-D max pooling.
EMBER_LAYER(MaxPool3d, OptionsModule<MaxPool3dOptions>, Tensor forward(const Tensor& input);
            /// (output, indices), as F::max_pool3d_with_indices.
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););
/// 3-D average pooling.
EMBER_LAYER(AvgPool3d, OptionsModule<AvgPool3dOptions>, Tensor forward(const Tensor& input););
/// 3-D adaptive average pooling to a fixed output size.
EMBER_LAYER(AdaptiveAvgPool3d, OptionsModule<AdaptiveAvgPool3dOptions>, Tensor forward(const Tensor& input););
/// 3-D adaptive max pooling to a fixed output size; forward_with_indices gives (output, indices).
EMBER_LAYER(AdaptiveMaxPool3d, OptionsModule<AdaptiveMaxPool3dOptions>, Tensor forward(const Tensor& input);
            std::tuple<Tensor, Tensor> forward_with_indices(const Tensor& input););
/// Batch norm over the channels of (N, C, D, H, W).
EMBER_LAYER(BatchNorm3d, BatchNormImplBase, Tensor forward(const Tensor& input););
/// Instance norm over (N, C, D, H, W), or unbatched (C, D, H, W).
EMBER_LAYER(InstanceNorm3d, InstanceNormImplBase, Tensor forward(const Tensor& input););

}  // namespace nn
}  // namespace ember
