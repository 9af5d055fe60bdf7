#pragma once
// The normalisation layers, as LibTorch's torch::nn::BatchNorm1d / BatchNorm2d, InstanceNorm1d /
// InstanceNorm2d, LayerNorm and GroupNorm: options, train/eval behaviour, parameters, buffers
// (running_mean, running_var, num_batches_tracked) and printouts are LibTorch's. Batch and
// instance norm run ember's fused batch_norm kernel (one node, NativeBatchNormBackward0), layer
// and group norm its per-row kernels (src/row_norm.h).
#include <iosfwd>
#include <vector>

#include "ember/nn/options.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// The affine map every normalisation layer has: a weight (ones) and a bias (zeros) when affine,
/// registered undefined otherwise, as LibTorch's.
template <typename Options>
class EMBER_API AffineNormImplBase : public OptionsModule<Options> {
 public:
  using OptionsModule<Options>::OptionsModule;
  /// weight = 1, bias = 0.
  void reset_parameters();

  Tensor weight;  // undefined unless affine
  Tensor bias;    // undefined unless affine

 protected:
  /// Registers weight and bias of `shape` (undefined ones unless `affine`), then reset_parameters().
  void register_affine(bool affine, const std::vector<int64_t>& shape);
};

/// What the layers with per-channel running statistics share (LibTorch's NormImplBase).
template <typename Options>
class EMBER_API NormImplBase : public AffineNormImplBase<Options> {
 public:
  using AffineNormImplBase<Options>::AffineNormImplBase;
  /// Checks num_features, registers the parameters (affine, (C)) and buffers (track_running_stats).
  void reset();
  void reset_running_stats();
  /// The running statistics and the affine map's initial values.
  void reset_parameters();

  Tensor running_mean;         // buffer (C), zeros; undefined unless track_running_stats
  Tensor running_var;          // buffer (C), ones
  Tensor num_batches_tracked;  // buffer, int64 scalar

 protected:
  /// LibTorch's printout: "ember::nn::BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=true, ...)".
  void print_options(std::ostream& stream) const;
  /// Throws unless the input has between min_dim and max_dim dims.
  void check_input(const Tensor& input, int64_t min_dim, int64_t max_dim) const;
};
extern template class EMBER_API AffineNormImplBase<BatchNormOptions>;
extern template class EMBER_API AffineNormImplBase<InstanceNormOptions>;
extern template class EMBER_API AffineNormImplBase<LayerNormOptions>;
extern template class EMBER_API AffineNormImplBase<GroupNormOptions>;
extern template class EMBER_API NormImplBase<BatchNormOptions>;
extern template class EMBER_API NormImplBase<InstanceNormOptions>;

/// What BatchNorm1d and BatchNorm2d share. In training it normalises with the batch's statistics
/// and updates running_mean / running_var (momentum, or a cumulative average when momentum is
/// nullopt); in eval mode it uses the running ones.
class EMBER_API BatchNormImplBase : public NormImplBase<BatchNormOptions> {
 public:
  using NormImplBase::NormImplBase;

 protected:
  /// The forward of an input that must have min_dim..max_dim dims.
  Tensor forward_checked(const Tensor& input, int64_t min_dim, int64_t max_dim);
};

/// Batch norm over the channels of (N, C) or (N, C, L).
EMBER_LAYER(BatchNorm1d, BatchNormImplBase, Tensor forward(const Tensor& input););
/// Batch norm over the channels of (N, C, H, W).
EMBER_LAYER(BatchNorm2d, BatchNormImplBase, Tensor forward(const Tensor& input););

/// What InstanceNorm1d and InstanceNorm2d share: each sample's channel normalised over its own
/// values (instance_norm). The running statistics, when tracked, are updated in training and
/// used in eval mode; an unbatched input (one dim fewer) is taken as one sample.
class EMBER_API InstanceNormImplBase : public NormImplBase<InstanceNormOptions> {
 public:
  using NormImplBase::NormImplBase;

 protected:
  /// The forward of a batched input of max_dim dims or an unbatched one of max_dim - 1.
  Tensor forward_checked(const Tensor& input, int64_t max_dim);
};

/// Instance norm over (N, C, L), or unbatched (C, L).
EMBER_LAYER(InstanceNorm1d, InstanceNormImplBase, Tensor forward(const Tensor& input););
/// Instance norm over (N, C, H, W), or unbatched (C, H, W).
EMBER_LAYER(InstanceNorm2d, InstanceNormImplBase, Tensor forward(const Tensor& input););

/// Layer norm over the trailing dims options.normalized_shape(), with a weight and bias of that
/// shape unless elementwise_affine(false) (layer_norm: one node, NativeLayerNormBackward0).
EMBER_LAYER(LayerNorm, AffineNormImplBase<LayerNormOptions>, Tensor forward(const Tensor& input); void reset(););
/// Group norm of (N, C, *) in options.num_groups() groups of channels, with a weight and bias per
/// channel unless affine(false) (group_norm: one node, NativeGroupNormBackward0).
EMBER_LAYER(GroupNorm, AffineNormImplBase<GroupNormOptions>, Tensor forward(const Tensor& input); void reset(););

}  // namespace nn
}  // namespace ember
