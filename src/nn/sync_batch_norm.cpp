// SyncBatchNorm's forward and its autograd node. The statistics travel as float64 (a few values
// per channel), so the global mean and variance do not depend on the number of ranks beyond
// rounding. The node's backward gives weight and bias their local gradients (DDP averages
// them, as PyTorch's), and the input the gradient through the global statistics.
#include "ember/nn/sync_batch_norm.h"

#include <cmath>
#include <ostream>

#include "../autograd/function.h"
#include "../check.h"
#include "ember/autograd.h"

namespace ember {
namespace nn {
namespace {

/// Every dim but the channels': the reduction dims of the per-channel statistics.
std::vector<int64_t> reduce_dims(const Tensor& input) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < input.dim(); ++d) dims.push_back(d);
  return dims;
}

/// (1, C, 1, ...) for broadcasting a per-channel vector against the input.
std::vector<int64_t> channel_shape(const Tensor& input) {
  std::vector<int64_t> shape(size_t(input.dim()), 1);
  shape[1] = input.size(1);
  return shape;
}

/// Sums `packed` over the ranks, in place.
void allreduce_sum(distributed::ProcessGroup& group, Tensor& packed) {
  std::vector<Tensor> tensors{packed};
  group.allreduce(tensors)->wait();
}

}  // namespace

SyncBatchNormImpl::SyncBatchNormImpl(BatchNormOptions options, std::shared_ptr<distributed::ProcessGroup> group)
    : BatchNormImplBase("SyncBatchNorm", std::move(options)), process_group(std::move(group)) {
  reset();
}

void SyncBatchNormImpl::pretty_print(std::ostream& stream) const { print_options(stream); }

Tensor SyncBatchNormImpl::forward(const Tensor& input) {
  check_input(input, 2, 5);
  const int64_t channels = options.num_features();
  EMBER_CHECK(input.size(1) == channels, layer_name_, ": the input has ", input.size(1), " channels (shape ",
              input.sizes(), ") but the layer was built for ", channels);
  // Eval, or a single rank: plain batch norm (PyTorch synchronises in training only).
  std::shared_ptr<distributed::ProcessGroup> group =
      is_training() ? (process_group ? process_group : distributed::default_group()) : nullptr;
  if (!group || group->getSize() == 1) return forward_checked(input, 2, 5);

  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats()) {
    NoGradGuard no_grad;
    num_batches_tracked.add_(1);
    if (!options.momentum()) factor = 1.0 / double(num_batches_tracked.item<int64_t>());
  }
  const std::vector<int64_t> dims = reduce_dims(input);
  const std::vector<int64_t> shape = channel_shape(input);
  Tensor xhat, invstd, out;
  double count = 0;
  {
    NoGradGuard no_grad;
    const Tensor x = input.detach();
    Tensor packed = cat({x.sum(dims).to(kDouble), (x * x).sum(dims).to(kDouble),
                         full({1}, double(x.numel() / channels), TensorOptions().dtype(kDouble))});
    allreduce_sum(*group, packed);
    count = packed[2 * channels].item<double>();
    EMBER_CHECK(count > 1, layer_name_, ": Expected more than 1 value per channel when training, got input size ",
                input.sizes(), " on this rank and ", count, " values per channel over all ranks");
    const Tensor mean = packed.narrow(0, 0, channels) / count;
    const Tensor var = (packed.narrow(0, channels, channels) / count - mean * mean).clamp_min_(0);
    if (is_training() && options.track_running_stats()) {
      running_mean.mul_(1 - factor).add_(mean.to(running_mean.dtype()), factor);
      running_var.mul_(1 - factor).add_((var * (count / (count - 1))).to(running_var.dtype()), factor);
    }
    invstd = (var + options.eps()).rsqrt().to(input.dtype()).view(shape);
    xhat = (x - mean.to(input.dtype()).view(shape)) * invstd;
    out = weight.defined() ? xhat * weight.detach().view(shape) + bias.detach().view(shape) : xhat.clone();
  }
  autograd::SavedTensor saved_weight = autograd::save(weight, "sync_batch_norm");
  autograd::record("sync_batch_norm", out, {input, weight, bias},
                   [group, xhat, invstd, saved_weight, dims, shape, count, channels](const Tensor& dy,
                                                                                     const std::vector<bool>& needs) {
                     const Tensor sum_dy = dy.sum(dims);
                     const Tensor sum_dy_xhat = (dy * xhat).sum(dims);
                     variable_list grads(3);
                     if (needs[0]) {
                       // The global sums of dy and dy * xhat (= dy * (x - mean) * invstd) over every rank.
                       Tensor packed = cat({sum_dy.to(kDouble), sum_dy_xhat.to(kDouble)});
                       allreduce_sum(*group, packed);
                       const Tensor mean_dy = (packed.narrow(0, 0, channels) / count).to(dy.dtype()).view(shape);
                       const Tensor mean_dy_xhat =
                           (packed.narrow(0, channels, channels) / count).to(dy.dtype()).view(shape);
                       Tensor g = (dy - mean_dy - xhat * mean_dy_xhat) * invstd;
                       const Tensor w = saved_weight.get();
                       grads[0] = w.defined() ? g * w.view(shape) : g;
                     }
                     if (needs.size() > 1 && needs[1]) grads[1] = sum_dy_xhat;
                     if (needs.size() > 2 && needs[2]) grads[2] = sum_dy;
                     return grads;
                   });
  return out;
}

}  // namespace nn
}  // namespace ember
