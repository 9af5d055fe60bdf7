#pragma once
// F::conv1d, F::max_pool1d and F::avg_pool1d with LibTorch 1.13's option structs. Each runs the
// 2-D op over (N, C, 1, L): no kernels of their own. Included by ember/functional.h.
#include <cstdint>
#include <tuple>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/options.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {
namespace functional {

/// F::max_pool1d and F::avg_pool1d take the modules' options, as in LibTorch.
using MaxPool1dFuncOptions = MaxPool1dOptions;
using AvgPool1dFuncOptions = AvgPool1dOptions;

/// input (N, C, L) or unbatched (C, L); weight (out, in / groups, k).
EMBER_API Tensor conv1d(const Tensor& input, const Tensor& weight, const Conv1dFuncOptions& options = {});
EMBER_API Tensor max_pool1d(const Tensor& input, const MaxPool1dFuncOptions& options);
/// (output, indices): the indices are positions along L.
EMBER_API std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, const MaxPool1dFuncOptions& options);
EMBER_API Tensor avg_pool1d(const Tensor& input, const AvgPool1dFuncOptions& options);

}  // namespace functional
}  // namespace nn

/// ATen's free forms: torch::max_pool1d(input, kernel_size, stride = kernel_size, padding,
/// dilation, ceil_mode), max_pool1d_with_indices and avg_pool1d.
EMBER_API Tensor max_pool1d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, IntArrayRef dilation = 1, bool ceil_mode = false);
EMBER_API std::tuple<Tensor, Tensor> max_pool1d_with_indices(const Tensor& input, IntArrayRef kernel_size,
                                                             IntArrayRef stride = {}, IntArrayRef padding = 0,
                                                             IntArrayRef dilation = 1, bool ceil_mode = false);
EMBER_API Tensor avg_pool1d(const Tensor& input, IntArrayRef kernel_size, IntArrayRef stride = {},
                            IntArrayRef padding = 0, bool ceil_mode = false, bool count_include_pad = true);

}  // namespace ember
