#pragma once
// The option structs of ember's layers, with LibTorch's names, constructors and defaults:
//   Linear(LinearOptions(3072, 100).bias(false))
//   Conv2d(Conv2dOptions(3, 32, 5).stride(1).padding(2))
//   MaxPool2d(MaxPool2dOptions(2).stride(2))
//   Conv1d(Conv1dOptions(3, 8, 3).padding(1))
// (The option structs of the functional ops live in ember/functional.h, under
// nn::functional, as LibTorch's ...FuncOptions.)
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "ember/arg.h"
#include "ember/enum.h"
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

/// A convolution's padding, as LibTorch's: explicit sizes (one value for every dim, or one per
/// dim), kValid (none) or kSame (the output keeps the input's size; stride 1 only).
template <size_t D>
using conv_padding_t = std::variant<ExpandingArray<D>, enumtype::kValid, enumtype::kSame>;
/// What the convolution modules pad with.
using conv_padding_mode_t =
    std::variant<enumtype::kZeros, enumtype::kReflect, enumtype::kReplicate, enumtype::kCircular>;
namespace detail {
/// LibTorch spells both in torch::nn::detail.
template <size_t D>
using conv_padding_t = nn::conv_padding_t<D>;
using conv_padding_mode_t = nn::conv_padding_mode_t;
}  // namespace detail

/// The `padding` option of the conv option structs. One setter per alternative, rather than
/// EMBER_ARG's one taking the variant, so that .padding({1, 2}) still reads as sizes; the
/// variant itself is taken too (for copying one struct's padding into another).
#define EMBER_CONV_PADDING_ARG(D)                                                               \
 public:                                                                                        \
  auto padding(ExpandingArray<D> new_padding)->decltype(*this) {                                \
    this->padding_ = new_padding;                                                               \
    return *this;                                                                               \
  }                                                                                             \
  auto padding(enumtype::kValid tag)->decltype(*this) {                                         \
    this->padding_ = tag;                                                                       \
    return *this;                                                                               \
  }                                                                                             \
  auto padding(enumtype::kSame tag)->decltype(*this) {                                          \
    this->padding_ = tag;                                                                       \
    return *this;                                                                               \
  }                                                                                             \
  template <typename P, typename = std::enable_if_t<std::is_same<P, conv_padding_t<D>>::value>> \
  auto padding(const P& new_padding)->decltype(*this) {                                         \
    this->padding_ = new_padding;                                                               \
    return *this;                                                                               \
  }                                                                                             \
  const conv_padding_t<D>& padding() const noexcept { return this->padding_; }                  \
  conv_padding_t<D>& padding() noexcept { return this->padding_; }                              \
                                                                                                \
 private:                                                                                       \
  conv_padding_t<D> padding_ = ExpandingArray<D>(0)

/// Conv1d / Conv2d(in_channels, out_channels, kernel_size): kernel_size, stride and dilation
/// take one value for every dim or one per dim ({h, w}); padding also takes kSame or kValid, and
/// padding_mode pads with zeros (the default), kReflect, kReplicate or kCircular.
template <size_t D>
struct ConvOptions {
  using padding_t = conv_padding_t<D>;
  using padding_mode_t = conv_padding_mode_t;
  ConvOptions(int64_t in_channels, int64_t out_channels, ExpandingArray<D> kernel_size)
      : in_channels_(in_channels), out_channels_(out_channels), kernel_size_(kernel_size) {}
  EMBER_ARG(int64_t, in_channels);
  EMBER_ARG(int64_t, out_channels);
  EMBER_ARG(ExpandingArray<D>, kernel_size);
  EMBER_ARG(ExpandingArray<D>, stride) = 1;
  EMBER_CONV_PADDING_ARG(D);
  EMBER_ARG(ExpandingArray<D>, dilation) = 1;
  EMBER_ARG(int64_t, groups) = 1;
  EMBER_ARG(bool, bias) = true;
  EMBER_ARG(padding_mode_t, padding_mode) = enumtype::kZeros();
};
using Conv1dOptions = ConvOptions<1>;
using Conv2dOptions = ConvOptions<2>;

namespace functional {
/// F::conv1d / F::conv2d options (LibTorch's ConvFuncOptions: no channels, no padding_mode).
template <size_t D>
struct ConvFuncOptions {
  using padding_t = conv_padding_t<D>;
  EMBER_ARG(Tensor, bias) = Tensor();
  EMBER_ARG(ExpandingArray<D>, stride) = 1;
  EMBER_CONV_PADDING_ARG(D);
  EMBER_ARG(ExpandingArray<D>, dilation) = 1;
  EMBER_ARG(int64_t, groups) = 1;
};
using Conv1dFuncOptions = ConvFuncOptions<1>;
using Conv2dFuncOptions = ConvFuncOptions<2>;
}  // namespace functional

/// The pooling window every pooling option has: Options(kernel_size), implicit as LibTorch's,
/// with the stride defaulting to the kernel size and no padding.
#define EMBER_POOL_WINDOW_ARGS(Options, D)                                                                 \
  Options(ExpandingArray<D> kernel_size) : kernel_size_(kernel_size), stride_(kernel_size) {} /* NOLINT */ \
  EMBER_ARG(ExpandingArray<D>, kernel_size);                                                               \
  EMBER_ARG(ExpandingArray<D>, stride);                                                                    \
  EMBER_ARG(ExpandingArray<D>, padding) = 0

/// MaxPool1d / MaxPool2d(kernel_size); F::max_pool1d/2d take the same options, as in LibTorch.
template <size_t D>
struct MaxPoolOptions {
  EMBER_POOL_WINDOW_ARGS(MaxPoolOptions, D);
  EMBER_ARG(ExpandingArray<D>, dilation) = 1;
  EMBER_ARG(bool, ceil_mode) = false;
};
using MaxPool1dOptions = MaxPoolOptions<1>;
using MaxPool2dOptions = MaxPoolOptions<2>;

/// AvgPool1d / AvgPool2d(kernel_size); F::avg_pool1d/2d take the same options, as in LibTorch.
/// (As LibTorch's, the 1-D op ignores divisor_override.)
template <size_t D>
struct AvgPoolOptions {
  EMBER_POOL_WINDOW_ARGS(AvgPoolOptions, D);
  EMBER_ARG(bool, ceil_mode) = false;
  EMBER_ARG(bool, count_include_pad) = true;
  EMBER_ARG(std::optional<int64_t>, divisor_override) = std::nullopt;
};
using AvgPool1dOptions = AvgPoolOptions<1>;
using AvgPool2dOptions = AvgPoolOptions<2>;

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
