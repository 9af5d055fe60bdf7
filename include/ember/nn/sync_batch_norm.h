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

  std::shared_ptr<distributed::ProcessGroup> process_group;
};
EMBER_MODULE(SyncBatchNorm);

}  // namespace nn
}  // namespace ember
