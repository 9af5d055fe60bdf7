// BatchNorm1d and BatchNorm2d: LibTorch's parameters, buffers and forward (the cumulative
// average when momentum is nullopt) over the fused batch_norm op.
#include "ember/nn/normalization.h"

#include <ostream>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ops/common.h"

namespace ember {
namespace nn {

BatchNormImplBase::BatchNormImplBase(const BatchNormOptions& options_, const char* name)
    : options(options_), name_(name) {}

void BatchNormImplBase::reset() {
  const int64_t c = options.num_features();
  EMBER_CHECK(c > 0, name_, ": num_features must be positive, got ", c);
  if (options.affine()) {
    weight = register_parameter("weight", empty({c}));
    bias = register_parameter("bias", empty({c}));
  } else {
    weight = register_parameter("weight", Tensor(), /*requires_grad=*/false);
    bias = register_parameter("bias", Tensor(), /*requires_grad=*/false);
  }
  if (options.track_running_stats()) {
    running_mean = register_buffer("running_mean", zeros({c}));
    running_var = register_buffer("running_var", ones({c}));
    num_batches_tracked = register_buffer("num_batches_tracked", zeros(IntArrayRef(), kLong));
  } else {
    running_mean = register_buffer("running_mean", Tensor());
    running_var = register_buffer("running_var", Tensor());
    num_batches_tracked = register_buffer("num_batches_tracked", Tensor());
  }
  reset_parameters();
}

void BatchNormImplBase::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNormImplBase::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

void BatchNormImplBase::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "ember::nn::" << name_ << "(" << options.num_features() << ", eps=" << options.eps()
         << ", momentum=";
  if (options.momentum()) stream << *options.momentum();
  else stream << "None";
  stream << ", affine=" << options.affine() << ", track_running_stats=" << options.track_running_stats() << ")";
}

Tensor BatchNormImplBase::forward(const Tensor& input) {
  check_input_dim(input);
  EMBER_CHECK(input.size(1) == options.num_features(), name_, ": the input has ", input.size(1), " channels (shape ",
              input.sizes(), ") but the layer was built for ", options.num_features());
  // The weight of the newest batch in the running averages: momentum, or 1/n for the
  // cumulative average when momentum is None (as LibTorch).
  double factor = options.momentum().value_or(0.0);
  if (is_training() && options.track_running_stats() && num_batches_tracked.defined()) {
    {
      NoGradGuard no_grad;
      num_batches_tracked.add_(1);
    }
    if (!options.momentum()) factor = 1.0 / double(num_batches_tracked.item<int64_t>());
  }
  return ember::batch_norm(input, weight, bias, running_mean, running_var,
                           is_training() || !options.track_running_stats(), factor, options.eps(),
                           /*cudnn_enabled=*/true);
}

BatchNorm1dImpl::BatchNorm1dImpl(const BatchNorm1dOptions& options_) : BatchNormImplBase(options_, "BatchNorm1d") {
  reset();
}

void BatchNorm1dImpl::check_input_dim(const Tensor& input) const {
  EMBER_CHECK(input.dim() == 2 || input.dim() == 3, "BatchNorm1d: expected a 2-D (N, C) or 3-D (N, C, L) input, got ",
              input.dim(), "-D input of shape ", input.sizes());
}

BatchNorm2dImpl::BatchNorm2dImpl(const BatchNorm2dOptions& options_) : BatchNormImplBase(options_, "BatchNorm2d") {
  reset();
}

void BatchNorm2dImpl::check_input_dim(const Tensor& input) const {
  EMBER_CHECK(input.dim() == 4, "BatchNorm2d: expected a 4-D input (N, C, H, W), got ", input.dim(),
              "-D input of shape ", input.sizes());
}

}  // namespace nn
}  // namespace ember
