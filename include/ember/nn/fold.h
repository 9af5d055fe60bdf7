#pragma once
// Unfold and Fold, as LibTorch 1.13's: F::unfold / F::fold with UnfoldFuncOptions /
// FoldFuncOptions, the modules nn::Unfold / nn::Fold, and ATen's torch::im2col / torch::col2im.
#include <iosfwd>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// Unfold(kernel_size): the sliding blocks of a (N, C, H, W) input as columns.
struct UnfoldOptions {
  UnfoldOptions(ExpandingArray<2> kernel_size) : kernel_size_(kernel_size) {}  // NOLINT
  EMBER_ARG(ExpandingArray<2>, kernel_size);
  EMBER_ARG(ExpandingArray<2>, dilation) = 1;
  EMBER_ARG(ExpandingArray<2>, padding) = 0;
  EMBER_ARG(ExpandingArray<2>, stride) = 1;
};

/// Fold(output_size, kernel_size): sums columns of sliding blocks back into an image.
struct FoldOptions {
  FoldOptions(ExpandingArray<2> output_size, ExpandingArray<2> kernel_size)
      : output_size_(output_size), kernel_size_(kernel_size) {}
  EMBER_ARG(ExpandingArray<2>, output_size);
  EMBER_ARG(ExpandingArray<2>, kernel_size);
  EMBER_ARG(ExpandingArray<2>, dilation) = 1;
  EMBER_ARG(ExpandingArray<2>, padding) = 0;
  EMBER_ARG(ExpandingArray<2>, stride) = 1;
};

namespace functional {
using UnfoldFuncOptions = UnfoldOptions;
using FoldFuncOptions = FoldOptions;

/// (N, C, H, W) -> (N, C * kH * kW, L), L the number of blocks; 4-D input only, as LibTorch's.
EMBER_API Tensor unfold(const Tensor& input, const UnfoldFuncOptions& options);
/// (N, C * kH * kW, L) or unbatched (C * kH * kW, L) -> (N, C, H, W) (or (C, H, W)); values that
/// blocks share are summed.
EMBER_API Tensor fold(const Tensor& input, const FoldFuncOptions& options);
}  // namespace functional

/// Extracts sliding local blocks.
EMBER_LAYER(Unfold, OptionsModule<UnfoldOptions>, Tensor forward(const Tensor& input););
/// Combines sliding local blocks into an image.
EMBER_LAYER(Fold, OptionsModule<FoldOptions>, Tensor forward(const Tensor& input););

}  // namespace nn

/// ATen's im2col(input (C, H, W) or (N, C, H, W), kernel_size, dilation, padding, stride).
EMBER_API Tensor im2col(const Tensor& input, IntArrayRef kernel_size, IntArrayRef dilation, IntArrayRef padding,
                        IntArrayRef stride);
/// ATen's col2im(input (C * kH * kW, L) or (N, ...), output_size, kernel_size, dilation, padding,
/// stride).
EMBER_API Tensor col2im(const Tensor& input, IntArrayRef output_size, IntArrayRef kernel_size, IntArrayRef dilation,
                        IntArrayRef padding, IntArrayRef stride);

}  // namespace ember
