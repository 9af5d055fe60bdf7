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

template <typename Options>
void NormImplBase<Options>::reset() {
  const int64_t c = this->options.num_features();
  EMBER_CHECK(c > 0, this->layer_name_, ": num_features must be positive, got ", c);
  const bool affine = this->options.affine(), tracked = this->options.track_running_stats();
  weight = this->register_parameter("weight", affine ? empty({c}) : Tensor(), /*requires_grad=*/affine);
  bias = this->register_parameter("bias", affine ? empty({c}) : Tensor(), /*requires_grad=*/affine);
  running_mean = this->register_buffer("running_mean", tracked ? zeros({c}) : Tensor());
  running_var = this->register_buffer("running_var", tracked ? ones({c}) : Tensor());
  num_batches_tracked = this->register_buffer("num_batches_tracked", tracked ? zeros(IntArrayRef(), kLong) : Tensor());
  reset_parameters();
}

template <typename Options>
void NormImplBase<Options>::reset_running_stats() {
  if (!this->options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

template <typename Options>
void NormImplBase<Options>::reset_parameters() {
  reset_running_stats();
  if (this->options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

template <typename Options>
void NormImplBase<Options>::print_options(std::ostream& stream) const {
  const Options& o = this->options;
  this->print(stream, {{"", o.num_features()},
                       {"eps", o.eps()},
                       {"momentum", o.momentum()},
                       {"affine", o.affine()},
                       {"track_running_stats", o.track_running_stats()}});
}

template <typename Options>
void NormImplBase<Options>::check_input(const Tensor& input, int64_t min_dim, int64_t max_dim) const {
  const char* name = this->layer_name_;
  EMBER_CHECK(input.defined(), name, ": undefined input");
  const int64_t dim = input.dim();
  if (min_dim == max_dim) {
    EMBER_CHECK(dim == min_dim, name, ": expected ", min_dim, "D input (got ", dim, "D input of shape ", input.sizes(),
                ")");
  } else {
    EMBER_CHECK(dim >= min_dim && dim <= max_dim, name, ": expected ", min_dim, "D or ", max_dim, "D input (got ", dim,
                "D input of shape ", input.sizes(), ")");
  }
}

template class NormImplBase<BatchNormOptions>;

Tensor BatchNormImplBase::forward_checked(const Tensor& input, int64_t min_dim, int64_t max_dim) {
  check_input(input, min_dim, max_dim);
  EMBER_CHECK(input.size(1) == options.num_features(), layer_name_, ": the input has ", input.size(1),
              " channels (shape ", input.sizes(), ") but the layer was built for ", options.num_features());
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

void BatchNorm1dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor BatchNorm1dImpl::forward(const Tensor& input) { return forward_checked(input, 2, 3); }

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const { print_options(stream); }
Tensor BatchNorm2dImpl::forward(const Tensor& input) { return forward_checked(input, 4, 4); }

}  // namespace nn
}  // namespace ember
