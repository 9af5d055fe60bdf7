#pragma once
// Batch normalisation layers, as LibTorch's torch::nn::BatchNorm1d / BatchNorm2d: options
// (num_features, eps, momentum, affine, track_running_stats), train/eval behaviour and buffers
// (running_mean, running_var, num_batches_tracked) are LibTorch's. Both run ember's fused
// batch_norm kernel (one node, NativeBatchNormBackward0).
#include <iosfwd>

#include "ember/nn/options.h"
#include "ember/nn/options_module.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// What the layers with per-channel statistics share (LibTorch's NormImplBase): the affine
/// parameters and the running statistics.
template <typename Options>
class EMBER_API NormImplBase : public OptionsModule<Options> {
 public:
  using OptionsModule<Options>::OptionsModule;
  /// Checks num_features, registers the parameters (affine) and buffers (track_running_stats).
  void reset();
  void reset_running_stats();
  void reset_parameters();

  Tensor weight;               // (C), ones; undefined unless affine
  Tensor bias;                 // (C), zeros; undefined unless affine
  Tensor running_mean;         // buffer (C), zeros; undefined unless track_running_stats
  Tensor running_var;          // buffer (C), ones
  Tensor num_batches_tracked;  // buffer, int64 scalar

 protected:
  /// LibTorch's printout: "ember::nn::BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=true, ...)".
  void print_options(std::ostream& stream) const;
  /// Throws unless the input has between min_dim and max_dim dims.
  void check_input(const Tensor& input, int64_t min_dim, int64_t max_dim) const;
};
extern template class EMBER_API NormImplBase<BatchNormOptions>;

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

}  // namespace nn
}  // namespace ember
