#pragma once
// nn::SyncBatchNorm: batch norm whose training statistics are those of the global batch (every
// rank's shard), as PyTorch's torch.nn.SyncBatchNorm: the forward all-reduces the per-channel sum,
// sum of squares and count, the backward the per-channel sums of dy and dy * (x - mean). In eval
// mode, or on one rank, it is BatchNorm. Options as BatchNorm2d's; any input (N, C, *).
#include <memory>

#include "ember/distributed.h"
#include "ember/nn/normalization.h"

namespace ember {
namespace nn {

class EMBER_API SyncBatchNormImpl : public BatchNormImplBase {
 public:
  /// `process_group` null: the default group, looked up at each forward.
  explicit SyncBatchNormImpl(BatchNormOptions options,
                             std::shared_ptr<distributed::ProcessGroup> process_group = nullptr);
  void pretty_print(std::ostream& stream) const override;
  Tensor forward(const Tensor& input);

  /// PyTorch's SyncBatchNorm.convert_sync_batchnorm: replaces every BatchNorm1d and BatchNorm2d
  /// in `module`'s tree (a registered child, an nn::Sequential, ModuleList or ModuleDict entry)
  /// with a SyncBatchNorm on `process_group` that has its options and training mode and shares
  /// its weight, bias, running_mean, running_var and num_batches_tracked (the same tensors, so an
  /// optimizer built before still updates them). Returns `module`, or the new layer when
  /// `module` is itself a BatchNorm. SyncBatchNorms are left as they are. A BatchNorm that its
  /// parent also holds elsewhere (a typed member such as `nn::BatchNorm2d bn1;`, which its
  /// forward calls) cannot be replaced from outside: that is an error naming it, and nothing is
  /// converted; build such a model with nn::SyncBatchNorm.
  static std::shared_ptr<Module> convert_sync_batchnorm(
      const std::shared_ptr<Module>& module, std::shared_ptr<distributed::ProcessGroup> process_group = nullptr);

  std::shared_ptr<distributed::ProcessGroup> process_group;

 private:
  /// A SyncBatchNorm over `source`'s own tensors (convert_sync_batchnorm).
  SyncBatchNormImpl(const BatchNormImplBase& source, std::shared_ptr<distributed::ProcessGroup> process_group);
};
EMBER_MODULE(SyncBatchNorm);

}  // namespace nn
}  // namespace ember
