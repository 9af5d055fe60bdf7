#pragma once
// Batch normalisation layers, as LibTorch's torch::nn::BatchNorm1d / BatchNorm2d: options
// (num_features, eps, momentum, affine, track_running_stats), train/eval behaviour and buffers
// (running_mean, running_var, num_batches_tracked) are LibTorch's. Both run ember's fused
// batch_norm kernel (one node, NativeBatchNormBackward0).
#include <iosfwd>

#include "ember/nn/module.h"
#include "ember/nn/options.h"
#include "ember/nn/pimpl.h"
#include "ember/tensor.h"

namespace ember {
namespace nn {

/// What BatchNorm1d and BatchNorm2d share: parameters, buffers and forward. In training it
/// normalises with the batch's statistics and updates running_mean / running_var (momentum, or
/// a cumulative average when momentum is nullopt); in eval mode it uses the running ones.
class EMBER_API BatchNormImplBase : public Module {
 public:
  void reset();
  void reset_running_stats();
  void reset_parameters();
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  BatchNormOptions options;
  Tensor weight;               // (C), ones; undefined unless affine
  Tensor bias;                 // (C), zeros; undefined unless affine
  Tensor running_mean;         // buffer (C), zeros; undefined unless track_running_stats
  Tensor running_var;          // buffer (C), ones
  Tensor num_batches_tracked;  // buffer, int64 scalar

 protected:
  BatchNormImplBase(const BatchNormOptions& options_, const char* name);
  /// Throws unless the input has the dims this layer takes.
  virtual void check_input_dim(const Tensor& input) const = 0;
  const char* name_;  // "BatchNorm1d", "BatchNorm2d": for messages and printing
};

/// Batch norm over the channels of (N, C) or (N, C, L).
class EMBER_API BatchNorm1dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm1dImpl(int64_t num_features) : BatchNorm1dImpl(BatchNorm1dOptions(num_features)) {}
  explicit BatchNorm1dImpl(const BatchNorm1dOptions& options_);

 protected:
  void check_input_dim(const Tensor& input) const override;
};
EMBER_MODULE(BatchNorm1d);

/// Batch norm over the channels of (N, C, H, W).
class EMBER_API BatchNorm2dImpl : public BatchNormImplBase {
 public:
  explicit BatchNorm2dImpl(int64_t num_features) : BatchNorm2dImpl(BatchNorm2dOptions(num_features)) {}
  explicit BatchNorm2dImpl(const BatchNorm2dOptions& options_);

 protected:
  void check_input_dim(const Tensor& input) const override;
};
EMBER_MODULE(BatchNorm2d);

}  // namespace nn
}  // namespace ember
