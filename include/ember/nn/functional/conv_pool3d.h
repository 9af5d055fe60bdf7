#pragma once
// The 3-D convolution and pools with LibTorch 1.13's spellings: F::conv3d, F::max_pool3d(_with_
// indices), F::avg_pool3d, F::adaptive_avg_pool3d, F::adaptive_max_pool3d(_with_indices) and
// ATen's free forms torch::conv3d, max_pool3d(_with_indices), avg_pool3d, adaptive_avg_pool3d and
// adaptive_max_pool3d. The modules are in ember/nn/conv_pool3d.h. Difference: an adaptive
// output_size is three integers (or one for all); LibTorch's None element is not taken.
#include <optional>
#include <tuple>

#include "ember/nn/options.h"
#include "ember/nn/pooling.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

using Conv3dOptions = ConvOptions<3>;
using MaxPool3dOptions = MaxPoolOptions<3>;
using AvgPool3dOptions = AvgPoolOptions<3>;
using AdaptiveAvgPool3dOptions = AdaptivePoolOptions<3>;
using AdaptiveMaxPool3dOptions = AdaptivePoolOptions<3>;

namespace functional {
using Conv3dFuncOptions = ConvFuncOptions<3>;
using MaxPool3dFuncOptions = MaxPool3dOptions;
using AvgPool3dFuncOptions = AvgPool3dOptions;
using AdaptiveAvgPool3dFuncOptions = AdaptiveAvgPool3dOptions;
using AdaptiveMaxPool3dFuncOptions = AdaptiveMaxPool3dOptions;

/// input (N, C, D, H, W) or unbatched (C, D, H, W); weight (out, in / groups, kD, kH, kW).
/// padding also takes kSame / kValid, as F::conv2d's.
EMBER_API Tensor conv3d(const Tensor& input, const Tensor& weight, const Conv3dFuncOptions& options = {});
EMBER_API Tensor max_pool3d(const Tensor& input, const MaxPool3dFuncOptions& options);
/// (output, indices), the indices flat d * H * W + h * W + w positions within each volume.
EMBER_API std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, const MaxPool3dFuncOptions& options);
EMBER_API Tensor avg_pool3d(const Tensor& input, const AvgPool3dFuncOptions& options);
EMBER_API Tensor adaptive_avg_pool3d(const Tensor& input, const AdaptiveAvgPool3dFuncOptions& options);
EMBER_API Tensor adaptive_max_pool3d(const Tensor& input, const AdaptiveMaxPool3dFuncOptions& options);
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool3d_with_indices(const Tensor& input,
                                                                      const AdaptiveMaxPool3dFuncOptions& options);
}  // namespace functional
}  // namespace nn

EMBER_API Tensor conv3d(const Tensor& input, const Tensor& weight, const Tensor& bias = {}, IntArrayRef stride = 1,
                        IntArrayRef padding = 0, IntArrayRef dilation = 1, int64_t groups = 1);
EMBER_API Tensor max_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, IntArrayRef dilation = 1, bool ceil_mode = false);
EMBER_API std::tuple<Tensor, Tensor> max_pool3d_with_indices(const Tensor& input, IntArrayRef kernel_size,
                                                             IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                             IntArrayRef dilation = 1, bool ceil_mode = false);
EMBER_API Tensor avg_pool3d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, bool ceil_mode = false, bool count_include_pad = true,
                            std::optional<int64_t> divisor_override = std::nullopt);
EMBER_API Tensor adaptive_avg_pool3d(const Tensor& input, IntArrayRef output_size);
/// (output, indices), as max_pool3d_with_indices.
EMBER_API std::tuple<Tensor, Tensor> adaptive_max_pool3d(const Tensor& input, IntArrayRef output_size);

}  // namespace ember
