#pragma once
// The option structs of ember's layers, with LibTorch's names, constructors and defaults:
//   Linear(LinearOptions(3072, 100).bias(false))
//   Conv2d(Conv2dOptions(3, 32, 5).stride(1).padding(2))
//   MaxPool2d(MaxPool2dOptions(2).stride(2))
// (The option structs of the functional ops live in ember/functional.h, under
// nn::functional, as LibTorch's ...FuncOptions.)
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ember/arg.h"
#include "ember/expanding_array.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// Linear(in_features, out_features), with a bias unless bias(false).
struct LinearOptions {
  LinearOptions(int64_t in_features, int64_t out_features) : in_features_(in_features), out_features_(out_features) {}
  EMBER_ARG(int64_t, in_features);
  EMBER_ARG(int64_t, out_features);
  EMBER_ARG(bool, bias) = true;
};

/// Flatten dims start_dim..end_dim (by default all but the batch dim).
struct FlattenOptions {
  EMBER_ARG(int64_t, start_dim) = 1;
  EMBER_ARG(int64_t, end_dim) = -1;
};

/// Conv2d(in_channels, out_channels, kernel_size): kernel_size, stride, padding and dilation
/// take one value for both dims or {h, w}. Padding is with zeros (LibTorch's default
/// padding_mode; the others are not supported).
struct Conv2dOptions {
  Conv2dOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<2> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  EMBER_ARG(int64_t, in_channels);
  EMBER_ARG(int64_t, out_channels);
  EMBER_ARG(ExpandingArray<2>, kernel_size);
  EMBER_ARG(ExpandingArray<2>, stride) = 1;
  EMBER_ARG(ExpandingArray<2>, padding) = 0;
  EMBER_ARG(ExpandingArray<2>, dilation) = 1;
  EMBER_ARG(int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
};

/// The pooling window every pooling option has: Options(kernel_size), implicit as LibTorch's,
/// with the stride defaulting to the kernel size and no padding.
#define EMBER_POOL_WINDOW_ARGS(Options, D)                                                                 \
  Options(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {} /* NOLINT */ \
  EMBER_ARG(ExpandingArray<D>, kernel_size);                                                               \
  EMBER_ARG(ExpandingArray<D>, stride);                                                                    \
  EMBER_ARG(ExpandingArray<D>, padding) = 0

/// MaxPool2d(kernel_size).
struct MaxPool2dOptions {
  EMBER_POOL_WINDOW_ARGS(MaxPool2dOptions, 2);
  EMBER_ARG(ExpandingArray<2>, dilation) = 1;
  EMBER_ARG(bool, ceil_mode) = false;
};

/// Dropout(p): zeroes each element with probability p in training, scaling the rest by 1/(1-p).
struct DropoutOptions {
  DropoutOptions(double p = 0.5) : p_(p) {}  // NOLINT
  EMBER_ARG(double, p);
  EMBER_ARG(bool, inplace) = false;
};

/// BatchNorm2d(num_features). momentum = nullopt means a cumulative moving average.
struct BatchNormOptions {
  BatchNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
  EMBER_ARG(int64_t, num_features);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(std::optional<double>, momentum) = 0.1;
  EMBER_ARG(bool, affine) = true;
  EMBER_ARG(bool, track_running_stats) = true;
};
using BatchNorm1dOptions = BatchNormOptions;
using BatchNorm2dOptions = BatchNormOptions;

/// InstanceNorm1d(num_features) and InstanceNorm2d: as BatchNorm's, with LibTorch's other
/// defaults (no affine map, no running statistics) and a plain momentum.
struct InstanceNormOptions {
  InstanceNormOptions(int64_t num_features) : num_features_(num_features) {}  // NOLINT
  EMBER_ARG(int64_t, num_features);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(double, momentum) = 0.1;
  EMBER_ARG(bool, affine) = false;
  EMBER_ARG(bool, track_running_stats) = false;
};
using InstanceNorm1dOptions = InstanceNormOptions;
using InstanceNorm2dOptions = InstanceNormOptions;

/// LayerNorm(normalized_shape): normalises over the trailing dims normalized_shape, with a weight
/// and bias of that shape unless elementwise_affine(false).
struct LayerNormOptions {
  LayerNormOptions(std::vector<int64_t> normalized_shape)  // NOLINT
      : normalized_shape_(std::move(normalized_shape)) {}
  EMBER_ARG(std::vector<int64_t>, normalized_shape);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(bool, elementwise_affine) = true;
};

/// GroupNorm(num_groups, num_channels): num_channels split into num_groups groups, each sample's
/// group normalised together; a weight and bias per channel unless affine(false).
struct GroupNormOptions {
  GroupNormOptions(int64_t num_groups, int64_t num_channels) : num_groups_(num_groups), num_channels_(num_channels) {}
  EMBER_ARG(int64_t, num_groups);
  EMBER_ARG(int64_t, num_channels);
  EMBER_ARG(double, eps) = 1e-5;
  EMBER_ARG(bool, affine) = true;
};

/// ReLU(inplace).
struct ReLUOptions {
  ReLUOptions(bool inplace = false) : inplace_(inplace) {}  // NOLINT
  EMBER_ARG(bool, inplace);
};

/// GELU: approximate "none" (exact, with erf) or "tanh".
struct GELUOptions {
  EMBER_ARG(std::string, approximate) = "none";
};

/// Dropout2d(p) zeroes whole channels; AlphaDropout(p) keeps a SELU network's mean and
/// variance. Both take Dropout's options, as in LibTorch.
using Dropout2dOptions = DropoutOptions;
using AlphaDropoutOptions = DropoutOptions;

/// Unflatten(dim, sizes): splits dimension `dim` into `sizes` (one of them may be -1). The
/// named-tensor form of LibTorch (a dimname and a namedshape) is not supported.
struct UnflattenOptions {
  UnflattenOptions(int64_t dim, std::vector<int64_t> sizes) : dim_(dim), sizes_(std::move(sizes)) {}
  EMBER_ARG(int64_t, dim);
  EMBER_ARG(std::vector<int64_t>, sizes);
};

/// Embedding(num_embeddings, embedding_dim): a lookup table of num_embeddings rows. The row
/// padding_idx (negative counts from the end) gets no gradient and starts as zeros; with
/// max_norm, each looked-up row whose norm_type-norm exceeds max_norm is rescaled in place (as
/// LibTorch). scale_grad_by_freq and sparse gradients are not supported (true throws);
/// _weight gives the table to use instead of a fresh N(0, 1) one.
struct EmbeddingOptions {
  EmbeddingOptions(int64_t num_embeddings, int64_t embedding_dim)
      : num_embeddings_(num_embeddings), embedding_dim_(embedding_dim) {}
  EMBER_ARG(int64_t, num_embeddings);
  EMBER_ARG(int64_t, embedding_dim);
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(bool, sparse) = false;
  EMBER_ARG(Tensor, _weight) = Tensor();
};

/// Embedding::from_pretrained's options: freeze (the default) makes the table not require grad.
struct EmbeddingFromPretrainedOptions {
  EMBER_ARG(bool, freeze) = true;
  EMBER_ARG(std::optional<int64_t>, padding_idx) = std::nullopt;
  EMBER_ARG(std::optional<double>, max_norm) = std::nullopt;
  EMBER_ARG(double, norm_type) = 2.;
  EMBER_ARG(bool, scale_grad_by_freq) = false;
  EMBER_ARG(bool, sparse) = false;
};

}  // namespace nn
}  // namespace ember
