// The parameter-free layers (ReLU, GELU, Flatten, Dropout, Identity, Functional) and
// BatchNorm2d.
#include <ostream>

#include "ember/autograd.h"
#include "ember/functional.h"
#include "ember/nn/init.h"
#include "ember/nn/modules.h"

namespace ember {
namespace nn {

// --- activations and reshapes -----------------------------------------------------------------

ReLUImpl::ReLUImpl(const ReLUOptions& options_) : options(options_) {}

void ReLUImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::ReLU(";
  if (options.inplace()) stream << std::boolalpha << "inplace=" << options.inplace();
  stream << ")";
}

Tensor ReLUImpl::forward(Tensor input) {
  return functional::relu(std::move(input), functional::ReLUFuncOptions(options.inplace()));
}

GELUImpl::GELUImpl(GELUOptions options_) : options(std::move(options_)) {}

void GELUImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::GELU()"; }

Tensor GELUImpl::forward(const Tensor& input) {
  return functional::gelu(input, functional::GELUFuncOptions().approximate(options.approximate()));
}

FlattenImpl::FlattenImpl(const FlattenOptions& options_) : options(options_) {}

void FlattenImpl::pretty_print(std::ostream& stream) const {
  stream << "ember::nn::Flatten(start_dim=" << options.start_dim() << ", end_dim=" << options.end_dim() << ")";
}

Tensor FlattenImpl::forward(const Tensor& input) {
  return input.flatten(options.start_dim(), options.end_dim());
}

void IdentityImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Identity()"; }

// --- dropout ---------------------------------------------------------------------------------------

DropoutImpl::DropoutImpl(const DropoutOptions& options_) : options(options_) { reset(); }

void DropoutImpl::reset() {
  EMBER_CHECK(options.p() >= 0. && options.p() <= 1.,
              "Dropout: the probability has to be between 0 and 1, but got ", options.p());
}

void DropoutImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "ember::nn::Dropout(p=" << options.p() << ", inplace=" << options.inplace() << ")";
}

Tensor DropoutImpl::forward(Tensor input) {
  return functional::dropout(std::move(input), functional::DropoutFuncOptions()
                                                   .p(options.p())
                                                   .inplace(options.inplace())
                                                   .training(is_training()));
}

// --- batch norm --------------------------------------------------------------------------------------

BatchNorm2dImpl::BatchNorm2dImpl(const BatchNorm2dOptions& options_) : options(options_) { reset(); }

void BatchNorm2dImpl::reset() {
  const int64_t c = options.num_features();
  EMBER_CHECK(c > 0, "BatchNorm2d: num_features must be positive, got ", c);
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

void BatchNorm2dImpl::reset_running_stats() {
  if (!options.track_running_stats()) return;
  NoGradGuard no_grad;
  running_mean.zero_();
  running_var.fill_(1);
  num_batches_tracked.zero_();
}

void BatchNorm2dImpl::reset_parameters() {
  reset_running_stats();
  if (options.affine()) {
    init::ones_(weight);
    init::zeros_(bias);
  }
}

void BatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << std::boolalpha << "ember::nn::BatchNorm2d(" << options.num_features() << ", eps=" << options.eps()
         << ", momentum=";
  if (options.momentum())
    stream << *options.momentum();
  else
    stream << "None";
  stream << ", affine=" << options.affine() << ", track_running_stats=" << options.track_running_stats() << ")";
}

Tensor BatchNorm2dImpl::forward(const Tensor& input) {
  EMBER_CHECK(input.dim() == 4, "BatchNorm2d: expected a 4-D input (N, C, H, W), got ", input.dim(),
              "-D input of shape ", input.sizes());
  EMBER_CHECK(input.size(1) == options.num_features(), "BatchNorm2d: the input has ", input.size(1),
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
  return functional::batch_norm(input, running_mean, running_var,
                                functional::BatchNormFuncOptions()
                                    .weight(weight)
                                    .bias(bias)
                                    .training(is_training() || !options.track_running_stats())
                                    .momentum(factor)
                                    .eps(options.eps()));
}

// --- functional --------------------------------------------------------------------------------------

FunctionalImpl::FunctionalImpl(Function function) : function_(std::move(function)) {
  EMBER_CHECK(static_cast<bool>(function_), "Functional: the function is empty");
}

void FunctionalImpl::pretty_print(std::ostream& stream) const { stream << "ember::nn::Functional()"; }

Tensor FunctionalImpl::forward(Tensor input) { return function_(std::move(input)); }

}  // namespace nn
}  // namespace ember
